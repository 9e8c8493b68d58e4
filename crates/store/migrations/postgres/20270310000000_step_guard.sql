-- A scheduler's usual step is one autocommitted statement (one round trip), with its checks
-- inside it: weft_step_guard, called by the statement once its changes are made, checks the
-- fence as weft_fence does (WF001, the lease share-locked until the statement commits), then
-- raises WF002 when the step needed all `wanted` of its finishes applied and fewer were; its
-- detail lists the task instances whose finishes did apply. Either error rolls every change
-- of the statement back. NULL `lease` or `wanted` skips that check.
CREATE FUNCTION weft_step_guard(lease TEXT, expected_holder TEXT, expected_epoch BIGINT,
    applied BIGINT[], wanted BIGINT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
BEGIN
    IF lease IS NOT NULL THEN
        PERFORM weft_fence(lease, expected_holder, expected_epoch);
    END IF;
    IF wanted IS NOT NULL AND coalesce(cardinality(applied), 0) < wanted THEN
        RAISE EXCEPTION USING ERRCODE = 'WF002', MESSAGE = 'a finish of the step did not apply',
            DETAIL = coalesce(array_to_string(applied, ','), '');
    END IF;
    RETURN 0;
END
$$;
