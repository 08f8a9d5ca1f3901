//! Vertical resolution: the give-way drone moves up or down within its corridor's band to
//! clear the other by the vertical minimum (away from it first), falling back to slowing
//! down when the band has no room.

use super::{Conflict, Order, Resolution};

/// Move up or down within the band.
pub struct Vertical;

impl Resolution for Vertical {
    fn resolve(&self, c: &Conflict, order: &mut Order) {
        match c.clear(c.me.pos.z >= c.other.pos.z) {
            Some(o) => order.offset(o),
            None => order.limit(c.slow(c.behind)),
        }
    }
}
