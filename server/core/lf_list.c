/* See lf_list.h. */
#include "lf_list.h"

#include <stddef.h>

void lf_list_init(struct lf_list *l)
{
    atomic_init(&l->head, NULL);
}

void lf_list_push(struct lf_list *l, struct lf_node *n)
{
    n->next = atomic_load(&l->head);
    while (!atomic_compare_exchange_weak(&l->head, &n->next, n))
        ;
}

/* One reader only, and it reverses a list no other thread can see any
 * more: no ABA problem, which a lock-free pop of single nodes would have. */
struct lf_node *lf_list_take(struct lf_list *l)
{
    struct lf_node *newest = atomic_exchange(&l->head, NULL), *oldest = NULL;
    while (newest) {
        struct lf_node *next = newest->next;
        newest->next = oldest;
        oldest = newest;
        newest = next;
    }
    return oldest;
}
