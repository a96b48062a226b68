/* net/photo_check: jobs submitted on the loop run on the checker's thread
 * one at a time and come back to the loop in the order submitted, the run's
 * writes visible there; a stop hands back the jobs not yet begun as
 * cancelled, ends the thread and lets the loop close. */
#include "net/photo_check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define JOBS 20000

struct job {
    struct photo_job job; /* first, as photo_check.h asks */
    int index;
    int ran; /* written on the thread, read on the loop */
};

static struct job jobs[JOBS];
static int came_back, out_of_order, unran;
static struct photo_checker *checker;

static void run_job(struct photo_job *pj)
{
    ((struct job *)pj)->ran = 1;
}

static void done_job(struct photo_job *pj)
{
    struct job *j = (struct job *)pj;
    out_of_order += j->index != came_back;
    came_back++;
    if (pj->status != UV_ECANCELED)
        unran += !j->ran;
    if (came_back == JOBS / 2) /* half back: the rest may have begun or not */
        photo_checker_stop(checker);
}

static void test_jobs_come_back_in_order_and_a_stop_cancels_the_rest(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    checker = photo_checker_start(&loop, 0, run_job, done_job);
    assert_non_null(checker);
    for (int i = 0; i < JOBS; i++) {
        jobs[i].index = i;
        assert_int_equal(photo_checker_submit(checker, &jobs[i].job), 0);
    }
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* returns once the handle closed */
    assert_int_equal(photo_checker_submit(checker, &jobs[0].job), -1);
    photo_checker_free(checker);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(came_back, JOBS); /* every job came back once, cancelled or run */
    assert_int_equal(out_of_order, 0);
    assert_int_equal(unran, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_come_back_in_order_and_a_stop_cancels_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
