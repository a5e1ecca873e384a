-- What PostGraphile needs to serve the same data as the hub, created by `npm run bench -- --peers`
-- in the bench's throwaway database only. The hub links records to entities polymorphically
-- (entity_type, entity_id) and orders a person's cases by when they were reported; a PostGraphile
-- user reaches such data through computed columns and custom queries like these.
create or replace function person_records(p person) returns setof source_record
  language sql stable as $$
    select r.* from source_record r where r.entity_type = 'person' and r.entity_id = p.id
    union all
    select r.* from source_record r join source_link l on l.source_record_id = r.id
      where l.entity_type = 'person' and l.entity_id = p.id
  $$;

create or replace function person_latest_cases(p person, n int) returns setof "case"
  language sql stable as $$
    select c.* from "case" c join case_person cp on cp.case_id = c.id
      where cp.person_id = p.id order by c.reported_at desc, c.id desc limit n
  $$;

-- The filtered list: people with a tag, living in one street (the hub's people(filter:)).
create or replace function people_tagged_in_street(tag text, street bigint) returns setof person
  language sql stable as $$
    select p.* from person p
      where p.street_id = street
        and exists (select 1 from person_tag t where t.person_id = p.id and t.tag = people_tagged_in_street.tag)
      order by p.id
  $$;

-- The hub's stores keep area and grid references without foreign keys (a migration drops them
-- for bulk loading); PostGraphile learns those relations from smart tags.
comment on table person is E'@foreignKey (grid_id) references grid (id)\n@foreignKey (district_id) references area (id)\n@foreignKey (street_id) references area (id)\n@foreignKey (community_id) references area (id)';
comment on table building is E'@foreignKey (grid_id) references grid (id)\n@foreignKey (district_id) references area (id)\n@foreignKey (street_id) references area (id)\n@foreignKey (community_id) references area (id)';
comment on table address is E'@foreignKey (district_id) references area (id)\n@foreignKey (street_id) references area (id)\n@foreignKey (community_id) references area (id)';
