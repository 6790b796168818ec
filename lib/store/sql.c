/* The generic SQL layer: hands statements to the store's backend. */
#include <string.h>

#include "store_internal.h"

bw_status bwi_sql(bw_ctx *ctx, bw_store *store, const char *sql,
                  const bwi_sql_value *params, int nparams, bwi_sql_row_fn fn, void *arg)
{
    return store->b->ops->sql(ctx, store->b, sql, params, nparams, fn, arg);
}

bw_status bwi_sql_schema(bw_ctx *ctx, bw_store *store, const char *sqlite,
                         const char *postgresql)
{
    return store->b->ops->script(ctx, store->b,
                                 bwi_sql_is_postgresql(store) ? postgresql : sqlite);
}

bool bwi_sql_is_postgresql(const bw_store *store)
{
    return strcmp(store->b->ops->name, "postgresql") == 0;
}

int bwi_sql_take_int(void *arg, const bwi_sql_value *cols, int ncols)
{
    if (ncols > 0 && cols[0].kind == BWI_SQL_INT)
        *(int64_t *)arg = cols[0].i;
    return 0;
}
