/* What the ledger's unit tests share: a form made, tracked and decided the
 * way the ingest does it (app_ingest.c), leaving the commit to the test. */
#ifndef SUARA_TESTS_LEDGER_FIXTURE_H
#define SUARA_TESTS_LEDGER_FIXTURE_H

#include "domain/ledger.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

/* The form of in/res with the given failing checks, tracked by l and
 * decided (it has its seq and its statuses changed in memory): its op, which
 * the caller commits (ledger_commit) or leaves pending. */
static inline struct op *fixture_decide_form(struct ledger *l, const struct form_input *in,
                                             const struct form_resolved *res, uint32_t checks,
                                             int32_t token, int64_t received_ms)
{
    struct form *f = form_new(in, res, checks, token, received_ms);
    assert_non_null(f);
    ledger_track(l, f);
    struct op *op = calloc(1, sizeof *op);
    assert_non_null(op);
    op->kind = OP_FORM;
    op->form = f;
    f->pending_op = op;
    ledger_decide_form(l, op);
    return op;
}

#endif
