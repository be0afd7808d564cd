/* placeholder */
#include "cmds.h"
const struct cmd cmds_coord[] = {{0}};
