/* See json.h. */
#include "json.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

void json_init(void)
{
    cJSON_Hooks hooks = {.malloc_fn = xmalloc, .free_fn = free};
    cJSON_InitHooks(&hooks);
}
