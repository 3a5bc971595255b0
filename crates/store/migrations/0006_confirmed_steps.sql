-- A step that catch-up merged and whose webhook arrived later is one step, not two: the
-- webhook's delivery is kept (raw body, attempts) and named here, on the caught-up event.
ALTER TABLE events ADD COLUMN confirmed_by INTEGER REFERENCES deliveries (id);
