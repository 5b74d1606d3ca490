-- description: Live statements with the speaker's name, kind and country and the body they belong to.
-- requires: statements, actors
-- column speaker_name: `actors.name` of the speaker.
-- column speaker_name_native: `actors.name_native` of the speaker.
-- column speaker_kind: `actors.kind` of the speaker (person, government-body, ...).
-- column speaker_country: `actors.country` of the speaker (ISO 3166-1 alpha-2).
-- column speaker_parent: Name of the body the speaker belongs to (`actors.parent_id`).
-- inherit: statements
SELECT s.*, a.name AS speaker_name, a.name_native AS speaker_name_native, a.kind AS speaker_kind,
  a.country AS speaker_country, p.name AS speaker_parent
FROM statements s
LEFT JOIN actors a ON a.id = s.speaker_id
LEFT JOIN actors p ON p.id = a.parent_id
