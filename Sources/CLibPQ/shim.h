// libpq for Swift: the public client API only.
#include <libpq-fe.h>
