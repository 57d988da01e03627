"""The event store's tables and its append function."""

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
);

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
    headers     jsonb NOT NULL,
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
    p_topics text[], p_keys bytea[], p_values bytea[], p_headers jsonb[], p_shards integer[],
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

EVENTKIT_MIGRATIONS = (EVENT_STORE_V1, CONSUMER_V1)
