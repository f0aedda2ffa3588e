//! The list of points a geotrace or geoshape question is answered with: taken one at a time
//! from the device or typed, edited and removed, and turned into the answer only when the
//! whole list is one. Plain Rust, tested natively; the question's control only draws it.

use dala_core::engine::{POINT_SEPARATOR, geopoint};

/// Why the list is not an answer yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The point numbered from 1 is not `latitude longitude [altitude [accuracy]]`.
    BadPoint(usize),
    /// Fewer points than the question needs (2 for a trace, 3 for a shape).
    TooFew(usize),
}

/// Points as the enumerator sees them: a shape's closing point (the first again, as ODK
/// stores it) is not shown, so the boundary reads as it was walked.
pub fn from_answer(answer: &str, closed: bool) -> Vec<String> {
    let mut points: Vec<String> = answer
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    if closed && points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    points
}

/// The answer the list makes (empty for no point), or why it makes none. The engine closes a
/// shape and checks the points again; this says what is wrong while the list is being made.
pub fn to_answer(points: &[String], closed: bool) -> Result<String, Problem> {
    let points: Vec<&str> = points
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    if points.is_empty() {
        return Ok(String::new());
    }
    if let Some(bad) = points.iter().position(|p| geopoint(p).is_none()) {
        return Err(Problem::BadPoint(bad + 1));
    }
    let needed = if closed { 3 } else { 2 };
    if points.len() < needed {
        return Err(Problem::TooFew(needed));
    }
    Ok(points.join(POINT_SEPARATOR))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(points: &[&str]) -> Vec<String> {
        points.iter().map(|p| (*p).to_string()).collect()
    }

    #[test]
    fn a_trace_needs_two_points_and_a_shape_three() {
        let one = list(&["42.87 74.59 800 5"]);
        assert_eq!(to_answer(&one, false), Err(Problem::TooFew(2)));
        let two = list(&["42.87 74.59 800 5", "42.88 74.60"]);
        assert_eq!(
            to_answer(&two, false),
            Ok("42.87 74.59 800 5; 42.88 74.60".into())
        );
        assert_eq!(to_answer(&two, true), Err(Problem::TooFew(3)));
        assert_eq!(to_answer(&[], true), Ok(String::new()));
    }

    #[test]
    fn a_bad_point_is_named_by_its_number() {
        let points = list(&["42.87 74.59", "north", "91 10"]);
        assert_eq!(to_answer(&points, false), Err(Problem::BadPoint(2)));
        let points = list(&["42.87 74.59", "91 10"]);
        assert_eq!(to_answer(&points, false), Err(Problem::BadPoint(2)));
        // A point being typed that is still empty is not counted.
        let points = list(&["42.87 74.59", "  ", "42.88 74.60"]);
        assert!(to_answer(&points, false).is_ok());
    }

    #[test]
    fn a_stored_shape_shows_its_boundary_once() {
        let stored = "1 1 0 0; 1 2 0 0; 2 2 0 0; 1 1 0 0";
        assert_eq!(
            from_answer(stored, true),
            list(&["1 1 0 0", "1 2 0 0", "2 2 0 0"])
        );
        assert_eq!(from_answer(stored, false).len(), 4);
        assert!(from_answer("", true).is_empty());
    }
}
