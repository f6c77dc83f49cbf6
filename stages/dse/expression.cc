// Expression over muparser: the parser keeps pointers to its variables, so
// they live beside it in one heap object that moves as a whole.

#include "stages/dse/expression.h"

#include <muParser.h>

#include <algorithm>

namespace pv::dse {
namespace {

// muparser's message, with the position where its message leaves it out
// ("Missing parenthesis").
std::string messageOf(const mu::Parser::exception_type& e) {
  std::string message = e.GetMsg();
  if (message.find("position") == std::string::npos && e.GetPos() != static_cast<decltype(e.GetPos())>(-1))
    message += " at position " + std::to_string(e.GetPos());
  return message;
}

}  // namespace

struct Expression::Compiled {
  mu::Parser parser;
  std::vector<double> values;
};

Expression::Expression(std::string text, std::vector<std::string> names)
    : text_(std::move(text)), compiled_(std::make_unique<Compiled>()) {
  Compiled& c = *compiled_;
  c.values.assign(names.size(), 1.0);
  try {
    c.parser.DefineNameChars("0123456789_.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    for (size_t i = 0; i < names.size(); ++i) c.parser.DefineVar(names[i], &c.values[i]);
    c.parser.SetExpr(text_);
    // muparser parses lazily: evaluating once here reports a malformed
    // expression now, where its text is known, not at the first point.
    c.parser.Eval();
  } catch (const mu::Parser::exception_type& e) {
    throw ExpressionError(messageOf(e));
  }
}

Expression::~Expression() = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

double Expression::evaluate(std::span<const double> values) const {
  Compiled& c = *compiled_;
  std::copy_n(values.begin(), std::min(values.size(), c.values.size()), c.values.begin());
  try {
    return c.parser.Eval();
  } catch (const mu::Parser::exception_type& e) {
    throw ExpressionError(messageOf(e));
  }
}

}  // namespace pv::dse
