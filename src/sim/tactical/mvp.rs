//! Modified voltage potential, kept to the corridor: the displacement that clears the
//! predicted intrusion at closest approach (straight lines within the look-ahead) is
//! taken in the cheaper of the two dimensions the drone may use: vertically within the
//! band, or as a speed reduction along its track.

use glam::DVec2;

use super::{Conflict, Order, Resolution, hypot};

/// The MVP displacement, vertical or along track.
pub struct Mvp;

impl Resolution for Mvp {
    fn resolve(&self, c: &Conflict, order: &mut Order) {
        let (h, v) = c.minima;
        let (me, other) = (c.me, c.other);
        // Closest approach on straight lines, within the look-ahead.
        let p = me.pos - other.pos;
        let w = me.vel - other.vel;
        let w2 = w.x * w.x + w.y * w.y;
        let tc = if w2 < 1e-9 {
            0.0
        } else {
            (-(p.x * w.x + p.y * w.y) / w2).clamp(0.0, c.horizon_s)
        };
        let dh = DVec2::new(p.x + w.x * tc, p.y + w.y * tc);
        let dz = p.z + w.z * tc;
        let (ih, iv) = ((h - hypot(dh)).max(0.0), (v - dz.abs()).max(0.0));
        // The displacement that clears the intrusion, in the cheaper dimension.
        let vertical_first = iv / v <= ih / h;
        let along = {
            let need = dh / hypot(dh).max(1e-9) * (ih + 2.0);
            need.dot(c.dir) / tc.max(1.0)
        };
        let vertical = {
            let o = f64::from(me.offset_m) + if dz >= 0.0 { iv + 2.0 } else { -(iv + 2.0) };
            c.fits(o).then_some(o).or_else(|| c.clear(dz >= 0.0))
        };
        match (vertical_first, vertical) {
            (true, Some(o)) => order.offset(o),
            _ if along < 0.0 => order.limit((me.motion.u + along).max(c.ty.min_speed())),
            (false, Some(o)) if order.offset_m.is_none() => order.offset(o),
            _ => order.limit(c.slow(c.behind)),
        }
    }
}
