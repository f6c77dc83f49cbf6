// Helpers for the launcher's tests: the repository root (for pipelines/),
// and running pv-launch and shell chains as processes.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "tests/composition/process.h"

namespace pv::launch::testing {

using pv::testing::bin;
using pv::testing::binDir;
using pv::testing::ScratchDir;
using pv::testing::shell;
using pv::testing::slurp;
using pv::testing::spit;

// The repository root: this header's folder's parent. __FILE__ is relative
// to the build folder (where the test binaries live) or absolute.
inline std::string repoRoot() {
  std::filesystem::path file(__FILE__);
  if (file.is_relative()) file = std::filesystem::path(binDir()) / file;
  return std::filesystem::weakly_canonical(file.parent_path() / "..").string();
}

// Checks `property` like RC_GTEST_PROP, with at most `cases` successful cases.
template <class Property>
void checkFew(int cases, Property property) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = std::min(params.maxSuccess, cases);
  const auto result = rc::detail::checkTestable(property, metadata, params);
  if (result.template is<rc::detail::SuccessResult>()) {
    if (!result.template get<rc::detail::SuccessResult>().distribution.empty()) {
      rc::detail::printResultMessage(result, std::cout);
      std::cout << std::endl;
    }
  } else {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    FAIL() << message.str();
  }
}

}  // namespace pv::launch::testing
