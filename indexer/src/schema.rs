//! The tables (see `migrations/`), in diesel's terms.

diesel::table! {
    accounts (pubkey) {
        pubkey -> Bytea,
        owner -> Bytea,
        kind -> Text,
        slot -> Int8,
        write_version -> Int8,
        lamports -> Int8,
        data -> Bytea,
        txn_signature -> Nullable<Bytea>,
        finalized -> Bool,
    }
}

diesel::table! {
    ingest_cursor (id) {
        id -> Int2,
        slot -> Int8,
        updated_at -> Timestamptz,
    }
}
