-- resolve_key_index.weak_from / guard_from: the day a key got more holders than the resolver's weak
-- guard / guard (pipeline/resolve/match-sql.ts MAX_HOLDERS: the valid_from of its 51st / 1001st
-- holder), NULL while it has not. A record seen before that day may still use the key: whether a key
-- is too common is decided on the record's day, like every other register fact, so a new holder
-- never changes the links of records older than it.
ALTER TABLE resolve_key_index ADD COLUMN weak_from DATE;
ALTER TABLE resolve_key_index ADD COLUMN guard_from DATE;
