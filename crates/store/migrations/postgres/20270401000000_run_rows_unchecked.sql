-- Task instances and XCom values are no longer checked against their run by a foreign key.
-- Every such row is written with its run or through it: a run's task instances by the
-- statement that inserts the run, a mapped task's instances from the mapped task's own row,
-- an XCom value by the result of a task instance it joins. The check was a lookup and a
-- lock of the run for every row inserted: a 10,000-task run's insert took twice as long
-- with it, and each result's XCom value paid one. A clean removes a run's XCom values and
-- task instances with the run, in one transaction; task logs still go with their task
-- instance.
ALTER TABLE task_instances DROP CONSTRAINT task_instances_run_fkey;
ALTER TABLE xcom DROP CONSTRAINT xcom_run_fkey;
