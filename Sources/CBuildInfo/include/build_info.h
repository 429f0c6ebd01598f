// The commit this binary was built from: `make dist` writes it into the packed binary;
// any other build says "unknown".
#ifndef HONGBAO_BUILD_INFO_H
#define HONGBAO_BUILD_INFO_H

const char *hongbao_build_commit(void);

#endif
