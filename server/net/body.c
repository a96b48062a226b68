/* See body.h. */
#include "body.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "domain/view.h" /* cJSON, as the domain layer gives it */

#include <string.h>

static void check_member(struct body_member *m, const cJSON *v, struct form_problems *p)
{
    m->value = NULL;
    if (!cJSON_IsString(v)) {
        form_problem_add(p, m->name, v ? "not_string" : "missing");
        return;
    }
    const char *s = v->valuestring;
    size_t len = strlen(s);
    if (m->text && len == 0)
        form_problem_add(p, m->name, "empty");
    else if (m->max && len > m->max)
        form_problem_add(p, m->name, m->long_code ? m->long_code : "too_long");
    else if (m->text && !utf8_valid(s, len))
        form_problem_add(p, m->name, "bad_encoding");
    else if (m->valid && !m->valid(s))
        form_problem_add(p, m->name, "bad_value");
    else
        m->value = s;
}

cJSON *body_members(const struct http_request *req, struct body_member *members, int n,
                    struct form_problems *p)
{
    SU_ASSERT(n <= 16); /* the few members of a small request */
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        check_member(&members[i], cJSON_GetObjectItemCaseSensitive(root, members[i].name), p);
    int seen[16] = {0};
    for (const cJSON *it = root->child; it; it = it->next) {
        int i = 0;
        while (i < n && strcmp(it->string, members[i].name) != 0)
            i++;
        if (i == n)
            form_problem_add(p, it->string, "unknown_field");
        else if (++seen[i] == 2)
            form_problem_add(p, it->string, "duplicate_key");
    }
    return root;
}
