-- A leader's fenced write starts by calling weft_fence in the same message as its BEGIN
-- (one round trip for both): it share-locks the lease row, so no takeover commits before the
-- write does, and raises SQLSTATE WF001 unless `expected_holder` still holds the lease at
-- `expected_epoch`. The error's message is the lease's holder now ('' when nobody has held
-- it) and its detail the epoch now.
CREATE FUNCTION weft_fence(lease TEXT, expected_holder TEXT, expected_epoch BIGINT)
RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    now_holder TEXT;
    now_epoch BIGINT;
BEGIN
    SELECT holder, epoch INTO now_holder, now_epoch FROM leaders WHERE name = lease FOR SHARE;
    IF now_holder IS DISTINCT FROM expected_holder OR now_epoch IS DISTINCT FROM expected_epoch THEN
        RAISE EXCEPTION USING ERRCODE = 'WF001', MESSAGE = coalesce(now_holder, ''),
            DETAIL = coalesce(now_epoch::TEXT, '');
    END IF;
END
$$;
