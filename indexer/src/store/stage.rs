//! Session-local staging tables: rows arrive by binary `COPY` and are merged into their
//! table with one `INSERT ... SELECT ... ON CONFLICT` (which `COPY` cannot do itself), the
//! stage emptied by the same statement. Created by [`Store::connect`] for its connection.
diesel::table! {
    accounts_stage (pubkey) {
        pubkey -> Bytea,
        owner -> Bytea,
        kind -> Text,
        slot -> Int8,
        write_version -> Int8,
        lamports -> Int8,
        data -> Bytea,
        txn_signature -> Nullable<Bytea>,
    }
}

diesel::table! {
    events_stage (signature, ordinal) {
        signature -> Text,
        ordinal -> Int4,
        slot -> Int8,
        program -> Bytea,
        name -> Text,
        data -> Bytea,
    }
}

pub const CREATE: &str = "
    CREATE TEMP TABLE IF NOT EXISTS accounts_stage
        (LIKE accounts INCLUDING DEFAULTS);
    CREATE TEMP TABLE IF NOT EXISTS events_stage
        (LIKE events INCLUDING DEFAULTS)";
