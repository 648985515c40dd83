//! Epoch math: an epoch `anchor` starts at unix time `anchor_ts` and every epoch lasts
//! `seconds`. The registry's `NetworkConfig` holds the three numbers; the programs, the sdk,
//! the agent and the indexer all compute epochs with these two functions.

/// The epoch containing unix time `now`, or `None` on overflow. Times before the anchor
/// belong to the epoch just before it: the anchor is only ever set to the next boundary, so
/// such a time is in the epoch still running.
pub fn epoch_at(anchor: u64, anchor_ts: i64, seconds: u32, now: i64) -> Option<u64> {
    if now < anchor_ts {
        return anchor.checked_sub(1);
    }
    let elapsed = now.checked_sub(anchor_ts)? as u64;
    anchor.checked_add(elapsed / u64::from(seconds.max(1)))
}

/// The start time of `epoch`, or `None` when it precedes `anchor` or overflows.
pub fn epoch_start(anchor: u64, anchor_ts: i64, seconds: u32, epoch: u64) -> Option<i64> {
    let since_anchor = epoch.checked_sub(anchor)?;
    let offset = i64::try_from(u128::from(since_anchor) * u128::from(seconds)).ok()?;
    anchor_ts.checked_add(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_starts_where_epoch_at_turns_over() {
        let (anchor, anchor_ts, seconds) = (7, 1_000_000, 60);
        for epoch in anchor..anchor + 100 {
            let start = epoch_start(anchor, anchor_ts, seconds, epoch).unwrap();
            assert_eq!(epoch_at(anchor, anchor_ts, seconds, start), Some(epoch));
            assert_eq!(
                epoch_at(anchor, anchor_ts, seconds, start - 1),
                Some(epoch - 1)
            );
            assert_eq!(
                epoch_at(anchor, anchor_ts, seconds, start + 59),
                Some(epoch)
            );
        }
        assert_eq!(
            epoch_at(anchor, anchor_ts, seconds, anchor_ts - 10_000),
            Some(6)
        );
        assert_eq!(epoch_at(0, anchor_ts, seconds, anchor_ts - 1), None);
        assert_eq!(epoch_start(anchor, anchor_ts, seconds, anchor - 1), None);
        assert_eq!(epoch_start(0, i64::MAX - 10, seconds, 1), None);
    }
}
