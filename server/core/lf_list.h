/* A hand-off between threads without a lock: any thread pushes a node with
 * a compare-and-swap onto `head` (newest first); the one reader takes the
 * whole list with one exchange and gets it back oldest first. A mutex here
 * would let a thread of lower priority (the live thread, the photo checker)
 * hold up a loop whenever the kernel preempted it inside the lock. The node
 * is the first member of what is handed over, so a pointer to one is a
 * pointer to the other. */
#ifndef SUARA_CORE_LF_LIST_H
#define SUARA_CORE_LF_LIST_H

#include <stdatomic.h>

struct lf_node {
    struct lf_node *next;
};

struct lf_list {
    _Atomic(struct lf_node *) head;
};

void lf_list_init(struct lf_list *l);
/* Any thread. */
void lf_list_push(struct lf_list *l, struct lf_node *n);
/* Everything pushed so far, oldest first, or NULL; the reader's thread only. */
struct lf_node *lf_list_take(struct lf_list *l);

#endif
