-- Workers report the tenants whose tasks they run, as a JSON array; NULL for every tenant's.
-- A tenant's users are shown only the workers that serve it.
ALTER TABLE workers ADD COLUMN tenants TEXT;
