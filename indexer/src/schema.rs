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

diesel::table! {
    devices (address) {
        address -> Bytea,
        owner -> Bytea,
        device_id -> Int8,
        agent -> Bytea,
        gpu_model -> Int4,
        gpu_count -> Int4,
        vram_mib -> Int8,
        cpu_cores -> Int4,
        ram_mib -> Int8,
        bandwidth_down_mbps -> Int8,
        bandwidth_up_mbps -> Int8,
        country -> Text,
        region -> Int4,
        supplier_group -> Int2,
        security_tier -> Int2,
        green -> Bool,
        connectivity_tier -> Int2,
        price_per_gpu_hour -> Int8,
        status -> Text,
        registered_at -> Int8,
        epochs_attested -> Int8,
        uptime_minutes -> Int8,
        reliability_bps -> Int4,
        slot -> Int8,
        write_version -> Int8,
    }
}

diesel::table! {
    receipts (device, seq) {
        device -> Bytea,
        seq -> Int8,
        kind -> Text,
        reference -> Bytea,
        model -> Bytea,
        compute_units -> Int8,
        amount -> Int8,
        worker -> Int8,
        royalty -> Int8,
        fee -> Int8,
        timestamp -> Int8,
        result_hash -> Bytea,
        signature -> Text,
        slot -> Int8,
        verified -> Bool,
    }
}

diesel::table! {
    receipt_chains (device) {
        device -> Bytea,
        count -> Int8,
        head -> Bytea,
    }
}

diesel::joinable!(devices -> accounts (address));
diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    devices,
    ingest_cursor,
    receipts,
    receipt_chains
);
