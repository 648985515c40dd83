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
    }
}

diesel::table! {
    ingest_cursor (id) {
        id -> Int2,
        slot -> Int8,
        updated_at -> Timestamptz,
        finalized_slot -> Nullable<Int8>,
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
    receipt_chains,
    network,
    staking_config,
    stakes,
    epoch_rewards,
    slashes,
    leases,
    hires,
    models,
    sessions,
    events,
    device_epochs,
    settlements,
    receipt_totals,
    device_totals
);

diesel::table! {
    device_totals (device) {
        device -> Bytea,
        lease_earnings -> Int8,
        epochs_paid -> Int8,
        epochs_missed -> Int8,
        inference_earnings -> Int8,
        inferences -> Int8,
        job_receipts -> Int8,
        compute_units -> Int8,
    }
}

diesel::table! {
    network (address) {
        address -> Bytea,
        admin -> Bytea,
        pending_admin -> Nullable<Bytea>,
        payment_mint -> Bytea,
        stake_mint -> Bytea,
        treasury -> Bytea,
        renter_fee_bps -> Int4,
        supplier_fee_bps -> Int4,
        inference_fee_bps -> Int4,
        epoch_seconds -> Int8,
        epoch_anchor -> Int8,
        epoch_anchor_timestamp -> Int8,
        genesis_timestamp -> Int8,
        verifiers -> Int4,
        verifier_quorum -> Int2,
        paused -> Bool,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    staking_config (address) {
        address -> Bytea,
        stake_mint -> Bytea,
        base_stake_per_gpu -> Int8,
        default_multiplier_bps -> Int8,
        cooldown_seconds -> Int8,
        challenge_window_seconds -> Int8,
        missed_epoch_bps -> Int4,
        renter_share_bps -> Int4,
        emission_start_epoch -> Int8,
        emission_per_epoch -> Int8,
        emission_cap -> Int8,
        allocated -> Int8,
        grace_epochs -> Int8,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    stakes (address) {
        address -> Bytea,
        device -> Bytea,
        owner -> Bytea,
        active -> Int8,
        cooling -> Int8,
        unlock_at -> Int8,
        pending_slashes -> Int4,
        pending_slash_amount -> Int8,
        slashes_proposed -> Int8,
        slashed_total -> Int8,
        rewards_claimed -> Int8,
        pending_rewards -> Int4,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    epoch_rewards (address) {
        address -> Bytea,
        epoch -> Int8,
        emission -> Int8,
        total_weight -> Int8,
        devices -> Int4,
        claimed -> Int8,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    slashes (address) {
        address -> Bytea,
        stake -> Bytea,
        device -> Bytea,
        slash_id -> Int8,
        amount -> Int8,
        reason -> Text,
        missed_epochs -> Nullable<Int8>,
        evidence -> Bytea,
        beneficiary -> Nullable<Bytea>,
        proposed_at -> Int8,
        status -> Text,
        taken -> Int8,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    leases (address) {
        address -> Bytea,
        renter -> Bytea,
        lease_id -> Int8,
        name -> Text,
        payment_mint -> Bytea,
        vault -> Bytea,
        max_price_per_gpu_hour -> Int8,
        created_at -> Int8,
        terminated_at_epoch -> Nullable<Int8>,
        hires -> Int4,
        active_hires -> Int4,
        deposited -> Int8,
        paid_to_owners -> Int8,
        fees -> Int8,
        refunded -> Int8,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
        job -> Text,
    }
}

diesel::table! {
    hires (address) {
        address -> Bytea,
        lease -> Bytea,
        device -> Bytea,
        owner -> Bytea,
        gpu_count -> Int4,
        price_per_gpu_hour -> Int8,
        epoch_price -> Int8,
        renter_fee -> Int8,
        supplier_fee -> Int8,
        start_epoch -> Int8,
        end_epoch -> Int8,
        settled_through -> Int8,
        released -> Bool,
        epochs_paid -> Int8,
        epochs_missed -> Int8,
        paid_to_owner -> Int8,
        fees -> Int8,
        refunded -> Int8,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    models (address) {
        address -> Bytea,
        owner -> Bytea,
        model_id -> Int8,
        royalty_bps -> Int4,
        price_per_unit -> Int8,
        metadata_uri -> Text,
        metadata_hash -> Bytea,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    sessions (address) {
        address -> Bytea,
        consumer -> Bytea,
        session_id -> Int8,
        model -> Bytea,
        authorizer -> Bytea,
        payment_mint -> Bytea,
        vault -> Bytea,
        deposited -> Int8,
        spent -> Int8,
        closing_at -> Nullable<Int8>,
        slot -> Int8,
        write_version -> Int8,
        closed_slot -> Nullable<Int8>,
    }
}

diesel::table! {
    events (signature, ordinal) {
        signature -> Text,
        ordinal -> Int4,
        slot -> Int8,
        program -> Bytea,
        name -> Text,
        data -> Bytea,
    }
}

diesel::table! {
    device_epochs (device, epoch) {
        device -> Bytea,
        epoch -> Int8,
        uptime_minutes -> Nullable<Int4>,
        pow_digest -> Nullable<Bytea>,
        reliability_bps -> Nullable<Int4>,
        verifier_signatures -> Nullable<Int2>,
        attested_signature -> Nullable<Text>,
        weight -> Nullable<Int8>,
        reward -> Nullable<Int8>,
        missed_hired -> Bool,
        slash_proposed -> Nullable<Int8>,
    }
}

diesel::table! {
    settlements (hire, from_epoch) {
        hire -> Bytea,
        from_epoch -> Int8,
        to_epoch -> Int8,
        lease -> Bytea,
        device -> Bytea,
        attested -> Int8,
        missed -> Int8,
        missed_mask -> Int8,
        to_owner -> Int8,
        to_treasury -> Int8,
        to_renter -> Int8,
        signature -> Text,
        slot -> Int8,
    }
}

diesel::table! {
    receipt_totals (device, model, kind) {
        device -> Bytea,
        model -> Bytea,
        kind -> Text,
        receipts -> Int8,
        compute_units -> Int8,
        amount -> Int8,
        worker -> Int8,
        royalty -> Int8,
        fee -> Int8,
    }
}
