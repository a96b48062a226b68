-- Photos of the C.Hasil plano, the evidence beside every number. One row per
-- distinct image, keyed by the SHA-256 of its bytes (what forms refer to), so
-- a photo uploaded twice is stored once. They live in PostgreSQL with the
-- forms, so they are replicated, backed up and restored with everything else.
-- JPEG, PNG and WebP are compressed already: EXTERNAL storage keeps them out
-- of the table's pages (TOAST) without a second, useless compression.
CREATE TABLE photos (
    sha256       text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes        integer NOT NULL CHECK (bytes > 0),
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    stored_at    timestamptz NOT NULL DEFAULT now(),
    data         bytea NOT NULL CHECK (octet_length(data) = bytes)
);
ALTER TABLE photos ALTER COLUMN data SET STORAGE EXTERNAL;

-- A form's pages in order (1 to 8 hashes). Forms stored before this migration
-- keep their one photo_sha256; the server reads either.
ALTER TABLE forms ADD COLUMN photos text[]
    CHECK (photos IS NULL OR (cardinality(photos) BETWEEN 1 AND 8
                              AND array_to_string(photos, ',') ~ '^[0-9a-f]{64}(,[0-9a-f]{64})*$'));
-- Which canonical receipt text the row's receipt was computed from
-- (domain/receipt.c): 1 before photos were pages, 2 with the photos line.
ALTER TABLE forms ADD COLUMN receipt_format smallint NOT NULL DEFAULT 1
    CHECK (receipt_format IN (1, 2));
