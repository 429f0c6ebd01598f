// A C target because a C macro is the one value a build command line can hand the
// compiler (Swift's -D takes names only): `hongbao --version` reads it.
#include "build_info.h"

#ifndef HONGBAO_COMMIT
#define HONGBAO_COMMIT "unknown"
#endif

const char *hongbao_build_commit(void) { return HONGBAO_COMMIT; }
