//! Property tests of the planner over sizes from 0 to past the object limit.

use partcopy_core::plan::{
    plan, Limit, Limits, Plan, PlanError, PlanOptions, DEFAULT_PART_SIZE, PART_SIZE_ROUNDING,
};
use proptest::prelude::*;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![Just(Limits::COS), Just(Limits::OSS)]
}

/// Sizes across the whole range, with extra weight on the edges.
fn size(limits: Limits) -> impl Strategy<Value = u64> {
    let max = limits.max_object_size;
    prop_oneof![
        4 => 0..=max,
        2 => 0u64..=16 * GIB,
        1 => (0u64..=2).prop_map(move |d| max - 1 + d),
        1 => (0u64..=2).prop_map(move |d| limits.single_copy_max - 1 + d),
        1 => (0u64..=64 * MIB).prop_map(move |d| 10_000 * 64 * MIB - 32 * MIB + d),
    ]
}

fn options(limits: Limits) -> impl Strategy<Value = PlanOptions> {
    let part_size = prop_oneof![
        2 => Just(None),
        3 => (limits.min_part_size..=limits.max_part_size).prop_map(Some),
        1 => (limits.min_part_size..=256 * MIB).prop_map(Some),
        1 => (0..limits.min_part_size).prop_map(Some),
        1 => (limits.max_part_size + 1..=limits.max_part_size * 2).prop_map(Some),
    ];
    let threshold = prop_oneof![
        2 => Just(None),
        3 => (0..=limits.single_copy_max).prop_map(Some),
        1 => (limits.single_copy_max + 1..=u64::MAX).prop_map(Some),
    ];
    (part_size, threshold).prop_map(|(part_size, threshold)| PlanOptions { part_size, threshold })
}

fn case() -> impl Strategy<Value = (Limits, u64, PlanOptions)> {
    limits().prop_flat_map(|l| (Just(l), size(l), options(l)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    #[test]
    fn plans_are_exact_and_within_limits((limits, size, options) in case()) {
        let result = plan(size, &limits, &options);
        // Option errors come first and name their limit.
        if let Some(p) = options.part_size {
            if p < limits.min_part_size {
                prop_assert_eq!(result.unwrap_err().limit(), Some(Limit::MinPartSize));
                return Ok(());
            }
            if p > limits.max_part_size {
                prop_assert_eq!(result.unwrap_err().limit(), Some(Limit::MaxPartSize));
                return Ok(());
            }
        }
        if options.threshold.is_some_and(|t| t > limits.single_copy_max) {
            prop_assert_eq!(result.unwrap_err().limit(), Some(Limit::SingleCopyMax));
            return Ok(());
        }
        if size > limits.max_object_size {
            prop_assert_eq!(
                result,
                Err(PlanError::ObjectTooLarge { size, max: limits.max_object_size })
            );
            return Ok(());
        }
        let plan = result.unwrap();
        prop_assert_eq!(plan.size(), size);
        let threshold = options.threshold.unwrap_or(limits.single_copy_max);
        match &plan {
            Plan::Single { size: s } => {
                prop_assert!(size <= threshold);
                prop_assert_eq!(*s, size);
            }
            Plan::Multipart { part_size, size: planned } => {
                prop_assert_eq!(*planned, size);
                let parts: Vec<_> = plan.parts().collect();
                prop_assert_eq!(plan.parts().len(), parts.len());
                prop_assert_eq!(plan.parts().rev().collect::<Vec<_>>(), parts.iter().rev().copied().collect::<Vec<_>>());
                prop_assert!(size > threshold);
                let part_size = *part_size;
                prop_assert!(part_size >= limits.min_part_size);
                prop_assert!(part_size <= limits.max_part_size);
                prop_assert!(!parts.is_empty());
                prop_assert!(parts.len() <= limits.max_parts as usize);
                let mut next = 0;
                for (i, part) in parts.iter().enumerate() {
                    prop_assert_eq!(part.number as usize, i + 1);
                    prop_assert_eq!(part.range.first, next);
                    prop_assert!(part.range.last >= part.range.first);
                    if i + 1 < parts.len() {
                        prop_assert_eq!(part.range.len(), part_size);
                    } else {
                        prop_assert!(part.range.len() <= part_size);
                    }
                    next = part.range.last + 1;
                }
                prop_assert_eq!(next, size);
                // The requested part size is kept when it fits, and raised minimally otherwise.
                let requested = options.part_size.unwrap_or(DEFAULT_PART_SIZE);
                let max_parts = u64::from(limits.max_parts);
                if size.div_ceil(requested) <= max_parts {
                    prop_assert_eq!(part_size, requested);
                } else {
                    prop_assert!(
                        part_size % PART_SIZE_ROUNDING == 0 || part_size == limits.max_part_size
                    );
                    if part_size > PART_SIZE_ROUNDING {
                        prop_assert!(size.div_ceil(part_size - PART_SIZE_ROUNDING) > max_parts);
                    }
                }
                prop_assert_eq!(plan.part_count() as usize, parts.len());
                prop_assert_eq!(plan.part(plan.part_count()), parts.last().copied());
                prop_assert_eq!(plan.part(0), None);
                prop_assert_eq!(plan.part(plan.part_count() + 1), None);
                for part in &parts {
                    prop_assert_eq!(plan.part(part.number), Some(*part));
                }
            }
        }
    }

    /// Arbitrary custom limits never make the planner panic, and what it returns is exact.
    #[test]
    fn custom_limits_never_panic(
        min in 0u64..1000,
        extra in 0u64..1000,
        parts in 0u32..50,
        single in 0u64..5000,
        max_object in 0u64..100_000,
        size in 0u64..120_000,
        part_size in prop::option::of(0u64..3000),
        threshold in prop::option::of(0u64..6000),
    ) {
        let limits = Limits {
            single_copy_max: single,
            min_part_size: min,
            max_part_size: min + extra,
            max_parts: parts,
            max_object_size: max_object,
        };
        let options = PlanOptions { part_size, threshold };
        if let Ok(planned @ Plan::Multipart { part_size, .. }) = plan(size, &limits, &options) {
            let parts: Vec<_> = planned.parts().collect();
            prop_assert!(parts.len() <= limits.max_parts as usize);
            prop_assert!((limits.min_part_size..=limits.max_part_size).contains(&part_size));
            prop_assert_eq!(parts.iter().map(|p| p.range.len()).sum::<u64>(), size);
        }
    }
}
