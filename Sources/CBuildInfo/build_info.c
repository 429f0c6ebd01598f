// A C target because a C macro is the one value a build command line can hand the
// compiler (Swift's -D takes names only): `hongbao --version` reads it. make dist compiles
// a fixed placeholder here and writes the commit over it in the packed binary, so a new
// commit does not rebuild every module (scripts/dist.sh).
#include "build_info.h"

#ifndef HONGBAO_COMMIT
#define HONGBAO_COMMIT "unknown"
#endif

const char *hongbao_build_commit(void) { return HONGBAO_COMMIT; }
