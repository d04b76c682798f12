//! The part planner: how a source of a given size is copied under a provider's limits.
//!
//! [`plan`] is a pure function of the source size, the provider's [`Limits`] and the user's
//! [`PlanOptions`]. A source no larger than the single-copy threshold is copied with one PUT-Copy
//! ([`Plan::Single`], this includes 0-byte objects); anything larger becomes a multipart copy
//! ([`Plan::Multipart`]) whose parts are numbered from 1, contiguous, cover `[0, size)` exactly, and
//! are all `part_size` bytes long except the last, which holds the remaining 1..=`part_size` bytes.

use crate::ops::ByteRange;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// The part size used when the user gives none: 64 MiB.
///
/// Large enough that a 10 GiB object takes 160 requests, small enough that a part copy takes
/// seconds and a retry wastes little. When a source would need more than [`Limits::max_parts`]
/// parts of this size, the planner raises it to the smallest whole number of MiB that fits.
pub const DEFAULT_PART_SIZE: u64 = 64 * MIB;

/// The granularity a part size is raised to when too many parts would be needed: 1 MiB.
pub const PART_SIZE_ROUNDING: u64 = MIB;

/// What a provider allows for copies: single-request size, part sizes, part count, object size.
///
/// The presets [`Limits::COS`] and [`Limits::OSS`] hold the documented defaults; any field may be
/// overridden (for an emulator, or when a provider changes its limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest object one PUT-Copy may copy, in bytes.
    pub single_copy_max: u64,
    /// Smallest part, in bytes (the last part may be smaller).
    pub min_part_size: u64,
    /// Largest part, in bytes.
    pub max_part_size: u64,
    /// Most parts one multipart upload may hold.
    pub max_parts: u32,
    /// Largest object, in bytes.
    pub max_object_size: u64,
}

impl Limits {
    /// Tencent Cloud COS: single PUT-Copy up to 5 GiB, parts 1 MiB–5 GiB, 10,000 parts, objects up
    /// to 48.82 TiB (50,000 GiB, i.e. 10,000 parts of 5 GiB).
    pub const COS: Limits = Limits {
        single_copy_max: 5 * GIB,
        min_part_size: MIB,
        max_part_size: 5 * GIB,
        max_parts: 10_000,
        max_object_size: 50_000 * GIB,
    };

    /// Alibaba Cloud OSS: single PUT-Copy up to 1 GiB (safe in every case the docs list), parts
    /// 100 KiB–5 GiB, 10,000 parts, objects up to 48.8 TiB (rounded down to a whole byte).
    pub const OSS: Limits = Limits {
        single_copy_max: GIB,
        min_part_size: 100 * KIB,
        max_part_size: 5 * GIB,
        max_parts: 10_000,
        max_object_size: 488 * 1024 * GIB / 10,
    };
}

/// The user's choices for a plan; `None` means the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PlanOptions {
    /// Part size in bytes; default [`DEFAULT_PART_SIZE`]. Raised automatically (to a whole number
    /// of MiB) when the source would need more than [`Limits::max_parts`] parts.
    pub part_size: Option<u64>,
    /// Largest source copied with one PUT-Copy; default [`Limits::single_copy_max`].
    pub threshold: Option<u64>,
}

/// A limit the planner enforces, named in its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::single_copy_max`].
    SingleCopyMax,
    /// [`Limits::min_part_size`].
    MinPartSize,
    /// [`Limits::max_part_size`].
    MaxPartSize,
    /// [`Limits::max_parts`].
    MaxParts,
    /// [`Limits::max_object_size`].
    MaxObjectSize,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::SingleCopyMax => "single-copy limit",
            Limit::MinPartSize => "minimum part size",
            Limit::MaxPartSize => "maximum part size",
            Limit::MaxParts => "maximum part count",
            Limit::MaxObjectSize => "maximum object size",
        })
    }
}

/// Why no plan fits: each variant names the limit that was broken and its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The requested part size is below the provider's minimum.
    #[error(
        "part size {part_size} bytes is below the {}: {min} bytes",
        Limit::MinPartSize
    )]
    PartTooSmall {
        /// The requested part size.
        part_size: u64,
        /// The provider's minimum.
        min: u64,
    },
    /// The requested part size is above the provider's maximum.
    #[error(
        "part size {part_size} bytes is above the {}: {max} bytes",
        Limit::MaxPartSize
    )]
    PartTooLarge {
        /// The requested part size.
        part_size: u64,
        /// The provider's maximum.
        max: u64,
    },
    /// The requested single-copy threshold is above what one PUT-Copy may copy.
    #[error(
        "threshold {threshold} bytes is above the {}: {max} bytes",
        Limit::SingleCopyMax
    )]
    ThresholdTooLarge {
        /// The requested threshold.
        threshold: u64,
        /// The provider's single-copy limit.
        max: u64,
    },
    /// The source is larger than the provider allows for one object.
    #[error("source of {size} bytes is over the {}: {max} bytes", Limit::MaxObjectSize)]
    ObjectTooLarge {
        /// The source size.
        size: u64,
        /// The provider's object limit.
        max: u64,
    },
    /// Even parts of the maximum size would be too many (possible only with custom limits).
    #[error(
        "source of {size} bytes needs more than the {} of {max_parts} even with parts of {max_part_size} bytes",
        Limit::MaxParts
    )]
    TooManyParts {
        /// The source size.
        size: u64,
        /// The provider's part count limit.
        max_parts: u32,
        /// The provider's maximum part size.
        max_part_size: u64,
    },
    /// The limits contradict themselves (a zero or inverted bound).
    #[error("inconsistent limits: {0}")]
    BadLimits(&'static str),
}

impl PlanError {
    /// The limit this error is about, if any.
    pub fn limit(&self) -> Option<Limit> {
        match self {
            PlanError::PartTooSmall { .. } => Some(Limit::MinPartSize),
            PlanError::PartTooLarge { .. } => Some(Limit::MaxPartSize),
            PlanError::ThresholdTooLarge { .. } => Some(Limit::SingleCopyMax),
            PlanError::ObjectTooLarge { .. } => Some(Limit::MaxObjectSize),
            PlanError::TooManyParts { .. } => Some(Limit::MaxParts),
            PlanError::BadLimits(_) => None,
        }
    }
}

/// One part of a multipart copy: its number and the source bytes it copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartSpec {
    /// Part number, from 1.
    pub number: u32,
    /// The source bytes this part copies.
    pub range: ByteRange,
}

/// How a source is copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// One PUT-Copy request for the whole object (any size up to the threshold, 0 included).
    Single {
        /// Source size in bytes.
        size: u64,
    },
    /// A multipart copy of `size` bytes in parts of `part_size` bytes: numbered from 1,
    /// ascending, contiguous, covering the source exactly, the last holding what remains
    /// ([`Plan::parts`], [`Plan::part`]). The parts are computed, not stored: a plan is a few
    /// bytes at any part count.
    Multipart {
        /// Source size in bytes.
        size: u64,
        /// Size of every part but the last.
        part_size: u64,
    },
}

impl Plan {
    /// The source size this plan covers.
    pub fn size(&self) -> u64 {
        match self {
            Plan::Single { size } => *size,
            Plan::Multipart { size, .. } => *size,
        }
    }

    /// Number of parts (0 for a single copy).
    pub fn part_count(&self) -> u32 {
        match self {
            Plan::Single { .. } => 0,
            // At most `max_parts`, a u32, when made by `plan`.
            Plan::Multipart { part_size: 0, .. } => 0,
            Plan::Multipart { size, part_size } => {
                u32::try_from(size.div_ceil(*part_size)).unwrap_or(u32::MAX)
            }
        }
    }

    /// Part size of a multipart plan (`None` for a single copy).
    pub fn part_size(&self) -> Option<u64> {
        match self {
            Plan::Single { .. } => None,
            Plan::Multipart { part_size, .. } => Some(*part_size),
        }
    }

    /// The part numbered `number` (from 1), if the plan has it.
    pub fn part(&self, number: u32) -> Option<PartSpec> {
        match self {
            Plan::Single { .. } => None,
            Plan::Multipart { size, part_size } => (1..=self.part_count())
                .contains(&number)
                .then(|| part_spec(*size, *part_size, number)),
        }
    }

    /// The parts of a multipart plan in order (none for a single copy).
    ///
    /// ```
    /// use partcopy_core::plan::{plan, Limits, PlanOptions};
    /// let options = PlanOptions { part_size: Some(8 << 20), threshold: Some(0) };
    /// let plan = plan(20 << 20, &Limits::COS, &options).unwrap();
    /// let sizes: Vec<u64> = plan.parts().map(|p| p.range.len()).collect();
    /// assert_eq!(sizes, [8 << 20, 8 << 20, 4 << 20]);
    /// assert_eq!(plan.parts().next_back(), plan.part(3));
    /// ```
    pub fn parts(&self) -> Parts {
        let (size, part_size) = match self {
            Plan::Single { size } => (*size, 0),
            Plan::Multipart { size, part_size } => (*size, *part_size),
        };
        Parts {
            size,
            part_size,
            front: 1,
            back: u64::from(self.part_count()),
        }
    }
}

/// Part `number` (from 1) of a source of `size` bytes in parts of `part_size` bytes; `number` must
/// be within the part count.
fn part_spec(size: u64, part_size: u64, number: u32) -> PartSpec {
    let first = u64::from(number - 1) * part_size;
    let last = first.saturating_add(part_size).min(size) - 1;
    PartSpec {
        number,
        range: ByteRange { first, last },
    }
}

/// The parts of a [`Plan`], in order, computed one by one: see [`Plan::parts`].
#[derive(Debug, Clone)]
pub struct Parts {
    size: u64,
    part_size: u64,
    /// The next part number from the front. Part numbers are `u32`; these are `u64` so that
    /// stepping past `u32::MAX` at either end cannot overflow.
    front: u64,
    /// The next part number from the back (the range `front..=back` is left).
    back: u64,
}

impl Parts {
    /// Part `number` if it is still left, without taking it.
    fn left(&self, number: u64) -> Option<PartSpec> {
        let number = u32::try_from(number).ok().filter(|_| self.front <= self.back)?;
        Some(part_spec(self.size, self.part_size, number))
    }
}

impl Iterator for Parts {
    type Item = PartSpec;

    fn next(&mut self) -> Option<PartSpec> {
        let part = self.left(self.front)?;
        self.front += 1;
        Some(part)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // At most u32::MAX parts: fits a usize wherever a u32 does.
        let left = usize::try_from((self.back + 1).saturating_sub(self.front)).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl DoubleEndedIterator for Parts {
    fn next_back(&mut self) -> Option<PartSpec> {
        let part = self.left(self.back)?;
        self.back -= 1;
        Some(part)
    }
}

impl ExactSizeIterator for Parts {}

impl std::iter::FusedIterator for Parts {}

/// Checks the options against the limits without a source size: a part size out of bounds or a
/// threshold above the single-copy limit.
///
/// # Errors
/// [`PlanError::PartTooSmall`], [`PlanError::PartTooLarge`], [`PlanError::ThresholdTooLarge`], or
/// [`PlanError::BadLimits`] when the limits themselves are inconsistent.
pub fn check_options(limits: &Limits, options: &PlanOptions) -> Result<(), PlanError> {
    if limits.min_part_size == 0 {
        return Err(PlanError::BadLimits("minimum part size is 0"));
    }
    if limits.min_part_size > limits.max_part_size {
        return Err(PlanError::BadLimits("minimum part size is above the maximum"));
    }
    if limits.max_parts == 0 {
        return Err(PlanError::BadLimits("maximum part count is 0"));
    }
    if let Some(part_size) = options.part_size {
        if part_size < limits.min_part_size {
            return Err(PlanError::PartTooSmall {
                part_size,
                min: limits.min_part_size,
            });
        }
        if part_size > limits.max_part_size {
            return Err(PlanError::PartTooLarge {
                part_size,
                max: limits.max_part_size,
            });
        }
    }
    if let Some(threshold) = options.threshold {
        if threshold > limits.single_copy_max {
            return Err(PlanError::ThresholdTooLarge {
                threshold,
                max: limits.single_copy_max,
            });
        }
    }
    Ok(())
}

/// Plans the copy of a source of `size` bytes.
///
/// A size up to the threshold (default [`Limits::single_copy_max`]) gives [`Plan::Single`];
/// anything larger a [`Plan::Multipart`] with the requested part size (default
/// [`DEFAULT_PART_SIZE`], at least the provider's minimum), raised to the smallest whole number of
/// MiB (capped at the maximum part size) that keeps the part count within [`Limits::max_parts`].
///
/// # Errors
/// Everything [`check_options`] rejects, [`PlanError::ObjectTooLarge`] for a source over the object
/// limit, and [`PlanError::TooManyParts`] when even maximal parts are too many (custom limits only).
pub fn plan(size: u64, limits: &Limits, options: &PlanOptions) -> Result<Plan, PlanError> {
    check_options(limits, options)?;
    if size > limits.max_object_size {
        return Err(PlanError::ObjectTooLarge {
            size,
            max: limits.max_object_size,
        });
    }
    let threshold = options.threshold.unwrap_or(limits.single_copy_max);
    if size <= threshold {
        return Ok(Plan::Single { size });
    }
    let requested = options
        .part_size
        .unwrap_or_else(|| DEFAULT_PART_SIZE.clamp(limits.min_part_size, limits.max_part_size));
    let max_parts = u64::from(limits.max_parts);
    let part_size = if size.div_ceil(requested) <= max_parts {
        requested
    } else {
        let needed = size.div_ceil(max_parts);
        let rounded = needed
            .div_ceil(PART_SIZE_ROUNDING)
            .saturating_mul(PART_SIZE_ROUNDING);
        // Rounding may overshoot the maximum; the maximum itself is then the answer if it fits.
        let raised = rounded.min(limits.max_part_size).max(needed);
        if raised > limits.max_part_size {
            return Err(PlanError::TooManyParts {
                size,
                max_parts: limits.max_parts,
                max_part_size: limits.max_part_size,
            });
        }
        raised
    };
    Ok(Plan::Multipart { size, part_size })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multipart(plan: &Plan) -> (u64, Vec<PartSpec>) {
        match plan {
            Plan::Multipart { part_size, .. } => (*part_size, plan.parts().collect()),
            Plan::Single { .. } => panic!("expected a multipart plan, got {plan:?}"),
        }
    }

    #[test]
    fn presets_match_the_design() {
        assert_eq!(Limits::COS.single_copy_max, 5_368_709_120);
        assert_eq!(Limits::COS.max_object_size, 10_000 * Limits::COS.max_part_size);
        assert_eq!(Limits::OSS.single_copy_max, 1_073_741_824);
        assert_eq!(Limits::OSS.min_part_size, 102_400);
        assert_eq!(Limits::OSS.max_object_size, 53_656_167_435_468);
    }

    #[test]
    fn parts_are_computed_both_ways_and_hand_made_plans_are_safe() {
        let p = Plan::Multipart {
            size: 10,
            part_size: 4,
        };
        let ranges = |parts: Parts| {
            parts
                .map(|p| (p.number, p.range.first, p.range.last))
                .collect::<Vec<_>>()
        };
        assert_eq!(ranges(p.parts()), [(1, 0, 3), (2, 4, 7), (3, 8, 9)]);
        let mut backwards: Vec<PartSpec> = p.parts().rev().collect();
        backwards.reverse();
        assert_eq!(backwards, p.parts().collect::<Vec<_>>());
        let mut parts = p.parts();
        assert_eq!((parts.len(), parts.next_back().map(|p| p.number)), (3, Some(3)));
        assert_eq!((parts.len(), parts.next().map(|p| p.number)), (2, Some(1)));
        assert_eq!(parts.next().map(|p| p.number), Some(2));
        assert_eq!((parts.next(), parts.next_back(), parts.len()), (None, None, 0));
        assert_eq!((p.part(0), p.part(4)), (None, None));
        assert_eq!(p.part(3).map(|p| p.range.len()), Some(2));
        // Fields are public: a plan made by hand with nothing to split has no parts, no panic.
        for (size, part_size) in [(10, 0), (0, 4), (0, 0)] {
            let p = Plan::Multipart { size, part_size };
            assert_eq!((p.part_count(), p.parts().count(), p.part(1)), (0, 0, None));
        }
        assert_eq!(Plan::Single { size: 7 }.parts().count(), 0);
        // As many parts as a u32 can number: both ends step past the last without overflowing.
        let p = Plan::Multipart {
            size: u64::MAX,
            part_size: 1,
        };
        let mut parts = p.parts();
        assert_eq!(parts.len(), u32::MAX as usize);
        assert_eq!(parts.next_back().map(|p| p.number), Some(u32::MAX));
        let mut one = Plan::Multipart {
            size: 1,
            part_size: 1,
        }
        .parts();
        assert_eq!(one.next().map(|p| p.number), Some(1));
        assert_eq!((one.next(), one.next_back(), one.len()), (None, None, 0));
        // A part size beyond the source: one part, the whole source.
        let p = Plan::Multipart {
            size: 5,
            part_size: u64::MAX,
        };
        assert_eq!(ranges(p.parts()), [(1, 0, 4)]);
    }

    #[test]
    fn zero_bytes_is_a_single_copy() {
        for limits in [Limits::COS, Limits::OSS] {
            assert_eq!(
                plan(0, &limits, &PlanOptions::default()),
                Ok(Plan::Single { size: 0 })
            );
        }
        let zero_threshold = PlanOptions {
            threshold: Some(0),
            ..PlanOptions::default()
        };
        assert_eq!(
            plan(0, &Limits::COS, &zero_threshold),
            Ok(Plan::Single { size: 0 })
        );
        let p = plan(1, &Limits::COS, &zero_threshold).unwrap();
        let (_, parts) = multipart(&p);
        assert_eq!(
            parts,
            &[PartSpec {
                number: 1,
                range: ByteRange { first: 0, last: 0 }
            }]
        );
    }

    #[test]
    fn threshold_edges() {
        let options = PlanOptions {
            threshold: Some(100 * MIB),
            part_size: None,
        };
        assert_eq!(
            plan(100 * MIB, &Limits::COS, &options),
            Ok(Plan::Single { size: 100 * MIB })
        );
        let p = plan(100 * MIB + 1, &Limits::COS, &options).unwrap();
        let (part_size, parts) = multipart(&p);
        assert_eq!(part_size, DEFAULT_PART_SIZE);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].range.last, 100 * MIB);
        // The default threshold is the provider's single-copy limit.
        assert!(matches!(
            plan(5 * GIB, &Limits::COS, &PlanOptions::default()),
            Ok(Plan::Single { .. })
        ));
        assert!(matches!(
            plan(5 * GIB + 1, &Limits::COS, &PlanOptions::default()),
            Ok(Plan::Multipart { .. })
        ));
        assert!(matches!(
            plan(GIB + 1, &Limits::OSS, &PlanOptions::default()),
            Ok(Plan::Multipart { .. })
        ));
    }

    #[test]
    fn exactly_max_parts_then_one_byte_more() {
        let options = PlanOptions {
            part_size: Some(8 * MIB),
            threshold: Some(0),
        };
        let size = 10_000 * 8 * MIB;
        let p = plan(size, &Limits::COS, &options).unwrap();
        let (part_size, parts) = multipart(&p);
        assert_eq!((part_size, parts.len()), (8 * MIB, 10_000));
        assert_eq!(parts[9_999].range.len(), 8 * MIB);

        let p = plan(size + 1, &Limits::COS, &options).unwrap();
        let (part_size, parts) = multipart(&p);
        // Raised to the next whole MiB.
        assert_eq!(part_size, 9 * MIB);
        assert!(parts.len() <= 10_000);
        assert_eq!(p.size(), size + 1);
    }

    #[test]
    fn object_limit_and_one_byte_more() {
        for limits in [Limits::COS, Limits::OSS] {
            let max = limits.max_object_size;
            let p = plan(max, &limits, &PlanOptions::default()).unwrap();
            let (part_size, parts) = multipart(&p);
            assert!(part_size <= limits.max_part_size);
            assert!(parts.len() <= 10_000);
            assert_eq!(p.size(), max);
            assert_eq!(
                plan(max + 1, &limits, &PlanOptions::default()),
                Err(PlanError::ObjectTooLarge { size: max + 1, max })
            );
        }
        // COS's limit is exactly 10,000 parts of the maximum size.
        let p = plan(Limits::COS.max_object_size, &Limits::COS, &PlanOptions::default()).unwrap();
        assert_eq!(p.part_count(), 10_000);
        assert_eq!(p.part_size(), Some(5 * GIB));
    }

    #[test]
    fn option_errors_name_the_limit() {
        let small = PlanOptions {
            part_size: Some(MIB - 1),
            threshold: None,
        };
        let err = plan(10 * GIB, &Limits::COS, &small).unwrap_err();
        assert_eq!(err.limit(), Some(Limit::MinPartSize));
        assert!(err.to_string().contains("minimum part size"), "{err}");
        // The OSS minimum is lower.
        assert!(plan(10 * GIB, &Limits::OSS, &small).is_ok());

        let large = PlanOptions {
            part_size: Some(5 * GIB + 1),
            threshold: None,
        };
        assert_eq!(
            plan(10 * GIB, &Limits::COS, &large).unwrap_err().limit(),
            Some(Limit::MaxPartSize)
        );
        let threshold = PlanOptions {
            part_size: None,
            threshold: Some(GIB + 1),
        };
        let err = plan(1, &Limits::OSS, &threshold).unwrap_err();
        assert_eq!(err.limit(), Some(Limit::SingleCopyMax));
        assert!(err.to_string().contains("single-copy limit"), "{err}");
        let err = plan(u64::MAX, &Limits::OSS, &PlanOptions::default()).unwrap_err();
        assert!(err.to_string().contains("maximum object size"), "{err}");
    }

    #[test]
    fn custom_limits_that_cannot_fit() {
        let limits = Limits {
            single_copy_max: 10,
            min_part_size: 10,
            max_part_size: 20,
            max_parts: 3,
            max_object_size: 1_000,
        };
        assert_eq!(
            plan(61, &limits, &PlanOptions::default()),
            Err(PlanError::TooManyParts {
                size: 61,
                max_parts: 3,
                max_part_size: 20
            })
        );
        // 60 fits exactly: the raise is capped at the maximum part size rather than a MiB.
        let p = plan(60, &limits, &PlanOptions::default()).unwrap();
        assert_eq!((p.part_size(), p.part_count()), (Some(20), 3));
        let bad = Limits {
            min_part_size: 0,
            ..limits
        };
        assert!(matches!(
            plan(1, &bad, &PlanOptions::default()),
            Err(PlanError::BadLimits(_))
        ));
    }

    #[test]
    fn part_lookup() {
        let options = PlanOptions {
            part_size: Some(MIB),
            threshold: Some(0),
        };
        let p = plan(2 * MIB + 5, &Limits::COS, &options).unwrap();
        assert_eq!(p.part_count(), 3);
        assert_eq!(p.part(0), None);
        assert_eq!(p.part(4), None);
        assert_eq!(
            p.part(3),
            Some(PartSpec {
                number: 3,
                range: ByteRange {
                    first: 2 * MIB,
                    last: 2 * MIB + 4
                }
            })
        );
    }
}
