// The build's image profile (src/js/image_profile.h): made by
// hbf_image_profile at build time for this build's worker image, it fits
// the image the server captures (so a cold worker prefetches the lines its
// requests read, not the whole image), and a profile of any other image is
// not used. And what the image of the real built-ins holds besides a
// built blank worker: the shapes of a request (Worker::WarmRequestShapes).
#include "js/image_profile.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "crypto/crypto.h"
#include "js/worker.h"
#include "js/worker_access.h"
#include "js/worker_image.h"

namespace hbf::js {
namespace {

TEST(ImageProfileTest, TheBuildsProfileFitsTheImageTheServerCaptures) {
  ASSERT_TRUE(crypto::InitializeCrypto());
  SetImageProfile(&kBuildImageProfile);
  const WorkerImage* image = WorkerImage::Get();
  ASSERT_NE(image, nullptr);
#if defined(__x86_64__) && defined(__linux__)
  // (where the tool can trace, an empty profile means the build lost it)
  ASSERT_GT(kBuildImageProfile.hot_line_count, 0u) << "hbf_image_profile made no profile: see the build's output";
#endif
  if (kBuildImageProfile.hot_line_count == 0) GTEST_SKIP() << "no profile on this platform";
  EXPECT_EQ(kBuildImageProfile.fingerprint, image->fingerprint());
  EXPECT_EQ(kBuildImageProfile.image_bytes, image->bytes());
  ASSERT_EQ(image->hot_lines().size(), kBuildImageProfile.hot_line_count);
  EXPECT_EQ(image->hot_lines().data(), kBuildImageProfile.hot_lines);
  // What the requests read is a part of the image, not all of it (the
  // point of the profile: ~1,200 of ~5,300 lines when it was made).
  const size_t image_lines = (image->bytes() + 63) / 64;
  EXPECT_LT(image->hot_lines().size(), image_lines / 2);
  EXPECT_GT(image->hot_lines().size(), image_lines / 50);
}

// The image's templates ran a request through hbf:http and hbf:router
// (Worker::WarmRequestShapes): a copy holds the chains of shapes its
// first request's objects pass through (req, res, the exchange, the
// router's walk: dozens), which a blank worker built without them lacks.
// (Fewer would mean the warm-up failed, or its chains were released
// before the capture: every copy's first request would make them again.)
TEST(ImageProfileTest, ACopyHoldsTheShapesOfARequestABuiltBlankWorkerLacks) {
  ASSERT_TRUE(crypto::InitializeCrypto());
  ASSERT_NE(WorkerImage::Get(), nullptr);
  ScriptResult::Failure failure;
  const std::unique_ptr<Worker> copied = Worker::CreateBlank(ScriptLimits{}, failure, true);
  const std::unique_ptr<Worker> built = Worker::CreateBlank(ScriptLimits{}, failure, false);
  ASSERT_TRUE(copied && built) << failure.message;
  const auto hashed_shapes = [](const Worker& w) {
    JSMemoryUsage usage;
    JS_ComputeMemoryUsage(WorkerAccess::Runtime(w), &usage);
    return usage.shape_count;
  };
  EXPECT_GE(hashed_shapes(*copied), hashed_shapes(*built) + 30);
}

TEST(ImageProfileTest, AProfileIsUsedOnlyOnTheImageItWasMadeFor) {
  const std::vector<uint16_t> lines = {0, 3, 4, 90};
  ImageProfile profile;
  profile.fingerprint = 0x1234;
  profile.image_bytes = 64 * 100;
  profile.hot_lines = lines.data();
  profile.hot_line_count = lines.size();
  EXPECT_EQ(WorkerImage::ProfileLines(&profile, 0x1234, 6400).size(), 4u);
  EXPECT_TRUE(WorkerImage::ProfileLines(&profile, 0x1235, 6400).empty());  // another layout
  EXPECT_TRUE(WorkerImage::ProfileLines(&profile, 0x1234, 6464).empty());  // another size
  EXPECT_TRUE(WorkerImage::ProfileLines(nullptr, 0x1234, 6400).empty());
  // Lines past the image, or out of order: not used at all.
  const std::vector<uint16_t> past = {0, 100};
  profile.hot_lines = past.data();
  profile.hot_line_count = past.size();
  EXPECT_TRUE(WorkerImage::ProfileLines(&profile, 0x1234, 6400).empty());
  const std::vector<uint16_t> unordered = {4, 3};
  profile.hot_lines = unordered.data();
  profile.hot_line_count = unordered.size();
  EXPECT_TRUE(WorkerImage::ProfileLines(&profile, 0x1234, 6400).empty());
  profile.hot_line_count = 0;
  EXPECT_TRUE(WorkerImage::ProfileLines(&profile, 0x1234, 6400).empty());
}

}  // namespace
}  // namespace hbf::js
