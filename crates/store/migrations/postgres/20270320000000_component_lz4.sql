-- Components are stored compressed with lz4 rather than PostgreSQL's default, pglz: on an
-- 18 MB Python DAG, pglz took about 350 ms of a deploy's insert and lz4 about 20 ms, for a
-- value a tenth larger (9.7 MB against 8.8 MB). Values stored before keep their compression.
-- A server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE component_bytes ALTER COLUMN bytes SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: components stay compressed with pglz';
END
$$;
