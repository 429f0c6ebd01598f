// The commit this binary was built from. `make dist` compiles it with
// -Xcc -DHONGBAO_COMMIT='"<sha>"'; any other build says "unknown".
#ifndef HONGBAO_BUILD_INFO_H
#define HONGBAO_BUILD_INFO_H

const char *hongbao_build_commit(void);

#endif
