-- Each tenant's sandbox policy as JSON (NULL: none of its own): its egress rules, and the
-- defaults and ceilings of its tasks' timeout, memory and fuel.
ALTER TABLE tenants ADD COLUMN sandbox TEXT;
