// What the binary was built from. scripts/package writes build-info.h beside this file for its build (and
// removes it after); a build without it says "unknown".
#include "CWardenSys.h"

#if __has_include("build-info.h")
#include "build-info.h"
#endif
#ifndef WARDEN_REVISION
#define WARDEN_REVISION "unknown"
#endif
#ifndef WARDEN_BUILD_DATE
#define WARDEN_BUILD_DATE "unknown"
#endif

const char *warden_build_revision(void) { return WARDEN_REVISION; }
const char *warden_build_date(void) { return WARDEN_BUILD_DATE; }
