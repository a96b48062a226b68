-- Contest kinds of a general election (Pemilu) beside the regional ones:
-- DPR, DPD and DPRD provinsi contests over a province, DPRD kabupaten/kota
-- contests over a kabupaten/kota. The seeder checks which kind sits on
-- which level; here only the id's shape is guarded.
ALTER TABLE contests DROP CONSTRAINT contests_id_check;
ALTER TABLE contests ADD CONSTRAINT contests_id_check
    CHECK (id ~ '^(gub|bup|wal|dpr|dpd|dprdp|dprdk)-[0-9.]+$');
