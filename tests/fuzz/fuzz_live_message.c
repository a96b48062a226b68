/* libFuzzer target: a WebSocket client message of the live feed.
 *
 * The frame's bytes (not NUL terminated) go through live_msg_parse, the
 * function net/live.c calls, then through what a subscription is answered
 * with: the topic key topic_get builds and the snapshot (view_tally_node,
 * encoded to JSON). Invariants: an error has a code; a resolved topic is a
 * node of the contest; the snapshot is a JSON object naming that contest and
 * region.
 *
 * tests/unit/test_fuzz_regressions.c includes this file with FUZZ_LIVE_ENTRY
 * renamed to replay the corpus in the ordinary test run. */
#include "domain/live_msg.h"
#include "domain/registry.h"
#include "domain/tally.h"
#include "domain/view.h"
#include "fuzz_check.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_LIVE_ENTRY
#define FUZZ_LIVE_ENTRY LLVMFuzzerTestOneInput
#endif

#define LIVE_CHECK(cond) FUZZ_CHECK("fuzz_live_message", cond)

struct live_world {
    struct registry reg;
    struct tallies tallies;
};

static struct live_world *live_world(void)
{
    static struct live_world w;
    static bool built;
    static const char *const regions[] = {
        "62",
        "62.01",
        "62.01.01",
        "62.01.01.1011",
        "62.01.01.1011.001",
        "62.01.01.1011.002",
        "62.01.02",
        "62.01.02.2001",
        "62.01.02.2001.001",
        "62.71",
        "62.71.01",
        "62.71.01.1001",
        "62.71.01.1001.001",
    };
    if (built)
        return &w;
    char err[128];
    registry_init(&w.reg);
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        LIVE_CHECK(registry_add_region(&w.reg, regions[i], "Region \"quoted\" \xc3\xa9", 300) == 0);
    LIVE_CHECK(registry_add_contest(&w.reg, "gub-62", "gubernur", "62", "Pilgub") == 0);
    LIVE_CHECK(registry_add_contest(&w.reg, "bup-62.01", "bupati", "62.01", "Pilbup") == 0);
    LIVE_CHECK(registry_add_contest(&w.reg, "wal-62.71", "walikota", "62.71", "Pilwali") == 0);
    for (int n = 1; n <= 4; n++)
        LIVE_CHECK(registry_add_candidate(&w.reg, "gub-62", n, "H", "D") == 0);
    for (int n = 1; n <= 2; n++) {
        LIVE_CHECK(registry_add_candidate(&w.reg, "bup-62.01", n, "H", "D") == 0);
        LIVE_CHECK(registry_add_candidate(&w.reg, "wal-62.71", n, "H", "D") == 0);
    }
    LIVE_CHECK(registry_finish(&w.reg, err, sizeof err) == 0);
    LIVE_CHECK(tallies_init(&w.tallies, &w.reg) == 0);
    built = true;
    return &w;
}

int FUZZ_LIVE_ENTRY(const uint8_t *data, size_t size);

int FUZZ_LIVE_ENTRY(const uint8_t *data, size_t size)
{
    struct live_world *w = live_world();
    char *text = malloc(size ? size : 1); /* exactly the frame, no terminator */
    LIVE_CHECK(text != NULL);
    if (size)
        memcpy(text, data, size);
    struct live_msg m;
    live_msg_parse(&w->reg, &w->tallies, text, size, &m);
    if (m.kind == LIVE_MSG_ERROR) {
        LIVE_CHECK(m.error_code != NULL && m.error_message != NULL);
    } else {
        int contest = m.contest;
        int32_t region = m.region;
        LIVE_CHECK(contest >= 0 && contest < w->reg.n_contests);
        LIVE_CHECK(region >= 0 && region < w->reg.n_regions);
        LIVE_CHECK(region_contains(&w->reg, w->reg.contests[contest].region, region));
        {
            char key[CONTEST_ID_MAX + REGION_CODE_MAX + 2];
            int n = snprintf(key, sizeof key, "%s|%s", w->reg.contests[contest].id,
                             w->reg.regions[region].code);
            LIVE_CHECK(n > 0 && (size_t)n < sizeof key);
            cJSON *node = view_tally_node(NULL, &w->tallies, contest, region, VIEW_ALL_CHILDREN);
            LIVE_CHECK(node != NULL);
            char *json = view_json(node);
            LIVE_CHECK(json != NULL);
            cJSON *back = cJSON_Parse(json);
            LIVE_CHECK(cJSON_IsObject(back));
            const cJSON *bc = cJSON_GetObjectItemCaseSensitive(back, "contest");
            const cJSON *br = cJSON_GetObjectItemCaseSensitive(back, "region");
            LIVE_CHECK(cJSON_IsString(bc) &&
                       strcmp(bc->valuestring, w->reg.contests[contest].id) == 0);
            LIVE_CHECK(cJSON_IsString(br) &&
                       strcmp(br->valuestring, w->reg.regions[region].code) == 0);
            cJSON_Delete(back);
            free(json);
        }
    }
    free(text);
    return 0;
}
