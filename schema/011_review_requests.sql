-- A reviewer's third answer besides count and reject: ask the witness of a
-- held or disputed form for a new photo of the plano ('photo') or for a note
-- on a recount ('recount'). The form stays held; the request is what the
-- witness sees on the form. Requests are few (at most 8 per form, enforced by
-- the server) and only ever added; they go with their form when test data is
-- cleared (ON DELETE CASCADE).
CREATE TABLE review_requests (
    id           bigint PRIMARY KEY,
    form_id      bigint NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('photo', 'recount')),
    note         text NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
    token_id     integer NOT NULL REFERENCES tokens (id),
    requested_at timestamptz NOT NULL
);
CREATE INDEX review_requests_form ON review_requests (form_id);
