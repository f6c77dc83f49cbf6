// Expression: an arithmetic expression over named numbers, compiled once and
// evaluated at every design point (pv-dse's objective, cost and
// constraints). muparser does the parsing: + - * / ^, comparisons
// (< <= > >= == !=, 1 for true), && ||, the ternary ?:, and functions such
// as log2, sqrt, min, max. Names may hold dots, so that a configuration key
// ("l1d.size_kb") is a variable as it is spelled in the configuration.
#pragma once

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace pv::dse {

// A malformed expression; the message is muparser's, with the position in
// the expression ("Unexpected end of expression at position 7").
class ExpressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Expression {
 public:
  // Compiles `text` over the variables `names` (their values come to
  // evaluate() in this order). Throws ExpressionError when the text is not
  // an expression or uses a name that is not a variable or function.
  Expression(std::string text, std::vector<std::string> names);
  ~Expression();
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;

  // The value at `values` (one per name). Throws ExpressionError when
  // muparser cannot evaluate it (e.g. a wrong argument count it found late).
  double evaluate(std::span<const double> values) const;

  const std::string& text() const { return text_; }

 private:
  struct Compiled;
  std::string text_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace pv::dse
