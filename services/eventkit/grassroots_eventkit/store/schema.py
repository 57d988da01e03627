"""The event store's tables and its append function."""

from grassroots_eventkit.audit import AUDIT_V1
from grassroots_eventkit.migrations import Migration

# es_append does the whole write of one command in one round trip, so a command
# costs two round trips (load, append) whatever it writes.
EVENT_STORE_V1 = Migration(
    name="eventkit.0001_event_store",
    sql=r"""
CREATE TABLE es_streams (
    stream_id    text PRIMARY KEY,
    stream_type  text NOT NULL,
    community_id text NOT NULL,
    version      integer NOT NULL CHECK (version > 0)
) WITH (fillfactor = 70);  -- room on the page for HOT updates of `version`

CREATE TABLE es_events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id       text NOT NULL,
    version         integer NOT NULL,
    event_id        uuid NOT NULL UNIQUE,
    event_type      text NOT NULL,
    community_id    text NOT NULL,
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL,
    recorded_at     timestamptz NOT NULL,
    UNIQUE (stream_id, version)
);

-- Rows are claimed by the one relay holding the shard's advisory lock, published,
-- then deleted: no read cursor, so late commits (the hidden gap) cannot be skipped.
CREATE TABLE es_outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shard       integer NOT NULL,
    topic       text NOT NULL,
    key         bytea NOT NULL,
    value       bytea NOT NULL,
    headers     text NOT NULL,  -- JSON [[name, value], ...]; text: the relay only passes it on
    enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX es_outbox_shard_id ON es_outbox (shard, id);

CREATE TABLE es_reservations (
    scope     text NOT NULL,
    value     text NOT NULL,
    stream_id text NOT NULL,
    PRIMARY KEY (scope, value)
);

CREATE TABLE es_idempotency (
    key          text PRIMARY KEY,
    request_hash text NOT NULL,
    status_code  integer NOT NULL,
    response     jsonb NOT NULL,
    stream_id    text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION es_append(
    p_stream_id text, p_stream_type text, p_community_id text, p_expected integer,
    p_event_ids uuid[], p_event_types text[], p_data jsonb[], p_metadata jsonb,
    p_recorded_at timestamptz,
    p_topics text[], p_keys bytea[], p_values bytea[], p_headers text[], p_shards integer[],
    p_reserve_scopes text[], p_reserve_values text[],
    p_release_scopes text[], p_release_values text[],
    p_idem_key text, p_idem_hash text, p_idem_status integer, p_idem_response jsonb
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    new_version integer := p_expected + cardinality(p_event_ids);
    n integer;
BEGIN
    IF p_expected = 0 THEN
        INSERT INTO es_streams (stream_id, stream_type, community_id, version)
        VALUES (p_stream_id, p_stream_type, p_community_id, new_version)
        ON CONFLICT (stream_id) DO NOTHING;
    ELSE
        -- The row lock makes a concurrent writer wait, then find the version moved.
        UPDATE es_streams SET version = new_version
        WHERE stream_id = p_stream_id AND version = p_expected;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'GR409', MESSAGE = 'version conflict',
            DETAIL = p_stream_id;
    END IF;

    INSERT INTO es_events (stream_id, version, event_id, event_type, community_id,
                           data, metadata, recorded_at)
    SELECT p_stream_id, p_expected + e.i, e.id, e.t, p_community_id, e.d, p_metadata,
           p_recorded_at
    FROM unnest(p_event_ids, p_event_types, p_data) WITH ORDINALITY AS e(id, t, d, i);

    IF cardinality(p_topics) > 0 THEN
        INSERT INTO es_outbox (shard, topic, key, value, headers)
        SELECT o.s, o.t, o.k, o.v, o.h
        FROM unnest(p_shards, p_topics, p_keys, p_values, p_headers) AS o(s, t, k, v, h);
    END IF;

    IF cardinality(p_release_scopes) > 0 THEN
        DELETE FROM es_reservations r
        USING unnest(p_release_scopes, p_release_values) AS x(s, v)
        WHERE r.scope = x.s AND r.value = x.v AND r.stream_id = p_stream_id;
    END IF;

    IF cardinality(p_reserve_scopes) > 0 THEN
        INSERT INTO es_reservations (scope, value, stream_id)
        SELECT x.s, x.v, p_stream_id FROM unnest(p_reserve_scopes, p_reserve_values) AS x(s, v)
        ON CONFLICT (scope, value) DO UPDATE SET stream_id = es_reservations.stream_id
        WHERE es_reservations.stream_id = p_stream_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n < cardinality(p_reserve_scopes) THEN
            RAISE EXCEPTION USING ERRCODE = 'GR410', MESSAGE = 'reservation taken',
                DETAIL = (
                    SELECT x.s || E'\x1f' || x.v
                    FROM unnest(p_reserve_scopes, p_reserve_values) AS x(s, v)
                    JOIN es_reservations r ON r.scope = x.s AND r.value = x.v
                    WHERE r.stream_id <> p_stream_id LIMIT 1);
        END IF;
    END IF;

    IF p_idem_key IS NOT NULL THEN
        INSERT INTO es_idempotency (key, request_hash, status_code, response, stream_id)
        VALUES (p_idem_key, p_idem_hash, p_idem_status, p_idem_response, p_stream_id)
        ON CONFLICT (key) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'GR411', MESSAGE = 'idempotency key taken',
                DETAIL = p_idem_key;
        END IF;
    END IF;

    RETURN new_version;
END
$$;
""",
)

CONSUMER_V1 = Migration(
    name="eventkit.0002_consumer",
    sql=r"""
-- Event ids a consumer group has applied: the dedupe, written in the same
-- transaction as the read-model change.
CREATE TABLE ek_processed_events (
    consumer   text NOT NULL,
    event_id   uuid NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE ek_dead_letters (
    consumer      text NOT NULL,
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    event_id      uuid,
    error         text NOT NULL,
    dead_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition, "offset")
);
""",
)


# Group commit: the appends of concurrent commands travel in one statement and one
# transaction (one WAL flush), set-based: a handful of statements for the whole
# group instead of a handful per command. It first decides, without writing, which
# batches are refused (stale version, reservation taken, idempotency key used), then
# writes the rest. The caller sends at most one batch per stream, sorted by stream,
# so row locks are taken in one order everywhere. If a concurrent transaction slips
# in between the checks and the writes (a new stream or a reservation created at
# that instant), the function raises GR499 and the caller replays the group one
# batch at a time through es_append: never a partial write.
APPEND_MANY_V1 = Migration(
    name="eventkit.0003_append_many",
    sql=r"""
CREATE FUNCTION es_append_many(
    b_stream_ids text[], b_stream_types text[], b_community_ids text[], b_expected integer[],
    b_counts integer[], b_metadata jsonb[], b_recorded_at timestamptz[],
    e_batch integer[], e_pos integer[], e_ids uuid[], e_types text[], e_data jsonb[],
    o_batch integer[], o_shards integer[], o_topics text[], o_keys bytea[], o_values bytea[],
    o_headers text[],
    rs_batch integer[], rs_scopes text[], rs_values text[],
    rl_batch integer[], rl_scopes text[], rl_values text[],
    b_idem_keys text[], b_idem_hashes text[], b_idem_status integer[], b_idem_responses jsonb[]
) RETURNS TABLE (outcome text, version integer, detail text) LANGUAGE plpgsql AS $$
DECLARE
    n integer := cardinality(b_stream_ids);
    refused text[] := array_fill(NULL::text, ARRAY[n]);
    details text[] := array_fill(NULL::text, ARRAY[n]);
    ok boolean[];
    wanted integer;
    written integer;
    r record;
BEGIN
    -- 1. Lock the existing streams, in stream order.
    PERFORM 1 FROM es_streams WHERE stream_id = ANY(b_stream_ids)
    ORDER BY stream_id FOR UPDATE;

    -- 2. Decide the refusals, writing nothing.
    FOR r IN
        SELECT b.i FROM unnest(b_stream_ids, b_expected) WITH ORDINALITY AS b(s, e, i)
        LEFT JOIN es_streams st ON st.stream_id = b.s
        WHERE coalesce(st.version, 0) <> b.e
    LOOP
        refused[r.i] := 'GR409';
        details[r.i] := b_stream_ids[r.i];
    END LOOP;
    FOR r IN
        SELECT DISTINCT ON (x.b) x.b, x.s, x.v
        FROM unnest(rs_batch, rs_scopes, rs_values) AS x(b, s, v)
        JOIN es_reservations res ON res.scope = x.s AND res.value = x.v
        WHERE res.stream_id <> b_stream_ids[x.b]
    LOOP
        IF refused[r.b] IS NULL THEN
            refused[r.b] := 'GR410';
            details[r.b] := r.s || E'\x1f' || r.v;
        END IF;
    END LOOP;
    FOR r IN
        SELECT k.i FROM unnest(b_idem_keys) WITH ORDINALITY AS k(key, i)
        JOIN es_idempotency idem ON idem.key = k.key
    LOOP
        IF refused[r.i] IS NULL THEN
            refused[r.i] := 'GR411';
            details[r.i] := b_idem_keys[r.i];
        END IF;
    END LOOP;
    ok := ARRAY(SELECT x IS NULL FROM unnest(refused) AS x);

    -- 3. Write the accepted batches.
    INSERT INTO es_streams (stream_id, stream_type, community_id, version)
    SELECT b.s, b.t, b.c, b.n
    FROM unnest(b_stream_ids, b_stream_types, b_community_ids, b_expected, b_counts)
         WITH ORDINALITY AS b(s, t, c, e, n, i)
    WHERE b.e = 0 AND ok[b.i]
    ON CONFLICT (stream_id) DO NOTHING;
    GET DIAGNOSTICS written = ROW_COUNT;
    SELECT count(*) INTO wanted FROM unnest(b_expected) WITH ORDINALITY AS b(e, i)
    WHERE b.e = 0 AND ok[b.i];
    IF written <> wanted THEN
        RAISE EXCEPTION USING ERRCODE = 'GR499', MESSAGE = 'a stream was created concurrently';
    END IF;

    UPDATE es_streams st SET version = b.e + b.n
    FROM unnest(b_stream_ids, b_expected, b_counts) WITH ORDINALITY AS b(s, e, n, i)
    WHERE st.stream_id = b.s AND b.e > 0 AND ok[b.i];

    DELETE FROM es_reservations res
    USING unnest(rl_batch, rl_scopes, rl_values) AS x(b, s, v)
    WHERE ok[x.b] AND res.scope = x.s AND res.value = x.v
      AND res.stream_id = b_stream_ids[x.b];

    INSERT INTO es_reservations (scope, value, stream_id)
    SELECT DISTINCT x.s, x.v, b_stream_ids[x.b]
    FROM unnest(rs_batch, rs_scopes, rs_values) AS x(b, s, v) WHERE ok[x.b]
    ON CONFLICT (scope, value) DO UPDATE SET stream_id = es_reservations.stream_id
    WHERE es_reservations.stream_id = EXCLUDED.stream_id;
    GET DIAGNOSTICS written = ROW_COUNT;
    SELECT count(DISTINCT (x.s, x.v)) INTO wanted
    FROM unnest(rs_batch, rs_scopes, rs_values) AS x(b, s, v) WHERE ok[x.b];
    IF written <> wanted THEN
        RAISE EXCEPTION USING ERRCODE = 'GR499', MESSAGE = 'a reservation was taken concurrently';
    END IF;

    INSERT INTO es_idempotency (key, request_hash, status_code, response, stream_id)
    SELECT k.key, b_idem_hashes[k.i], b_idem_status[k.i], b_idem_responses[k.i],
           b_stream_ids[k.i]
    FROM unnest(b_idem_keys) WITH ORDINALITY AS k(key, i)
    WHERE k.key IS NOT NULL AND ok[k.i]
    ON CONFLICT (key) DO NOTHING;
    GET DIAGNOSTICS written = ROW_COUNT;
    SELECT count(*) INTO wanted FROM unnest(b_idem_keys) WITH ORDINALITY AS k(key, i)
    WHERE k.key IS NOT NULL AND ok[k.i];
    IF written <> wanted THEN
        RAISE EXCEPTION USING ERRCODE = 'GR499',
            MESSAGE = 'an idempotency key was used concurrently';
    END IF;

    INSERT INTO es_events (stream_id, version, event_id, event_type, community_id,
                           data, metadata, recorded_at)
    SELECT b_stream_ids[e.b], b_expected[e.b] + e.p, e.id, e.t, b_community_ids[e.b], e.d,
           b_metadata[e.b], b_recorded_at[e.b]
    FROM unnest(e_batch, e_pos, e_ids, e_types, e_data) WITH ORDINALITY AS e(b, p, id, t, d, o)
    WHERE ok[e.b]
    ORDER BY e.o;

    INSERT INTO es_outbox (shard, topic, key, value, headers)
    SELECT o.s, o.t, o.k, o.v, o.h
    FROM unnest(o_batch, o_shards, o_topics, o_keys, o_values, o_headers)
         WITH ORDINALITY AS o(b, s, t, k, v, h, i)
    WHERE ok[o.b]
    ORDER BY o.i;

    FOR i IN 1 .. n LOOP
        outcome := coalesce(refused[i], 'ok');
        version := CASE WHEN ok[i] THEN b_expected[i] + b_counts[i] END;
        detail := details[i];
        RETURN NEXT;
    END LOOP;
END
$$;
""",
)

EVENTKIT_MIGRATIONS = (EVENT_STORE_V1, CONSUMER_V1, APPEND_MANY_V1, AUDIT_V1)
