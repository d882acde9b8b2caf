//! `calibrateRateCard`: the rate card that explains what PowerPost charged. Each charge is one
//! action and what it cost (`credits_used`); every line of an estimate is a sum of terms (a rate
//! times a count), so each charge is a linear equation in the card's rates, solved here in
//! whole credits.
//!
//! How, per action (a caption, each image model, each video model, publishing):
//! 1. Charges with the same terms are one group; the amount most of them were charged is the
//!    group's (ties: the base card's estimate, else the larger, since refunds only lower one).
//! 2. Groups are taken in order of how many charges they explain (ties: the first charge), and
//!    each is kept if it agrees with those kept before; one that contradicts them, such as a
//!    price change mid-way, explains nothing.
//! 3. The kept equations are solved exactly. A rate they do not fix alone (every caption analysed
//!    one image: only research plus one image is fixed) keeps the base card's value, the rates an
//!    action adds (images analysed, video analysed, source URLs, audio, a surcharge) before the
//!    action's own, which takes the rest. A rate that would come out fractional, negative or over
//!    the card's maximum keeps the base card's value too.
//!
//! Charges the returned card does not price exactly are listed as unexplained.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::estimate::{credits_of, estimate_terms, Term};
use super::plan::PostPlan;
use super::rate_card::{Rate, RateCard, MAX_RATE};
use super::vocabulary::Platform;
use crate::error::PowerPostError;
use crate::input::{List, Path, Whole};

/// The most charges one calibration takes.
pub(crate) const MAX_CHARGES: usize = 10_000;

/// Where the charges are named: `charges[3].plan.images[0].model`, `charges[3].creditsUsed`.
pub(crate) const CHARGES: Path = Path::argument("charges");

/// One action the app paid for, and what PowerPost charged for it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Charge {
    pub plan: PostPlan,
    /// Required; optional here so that a missing one gets the same message as a wrong one.
    pub credits_used: Option<Whole<0, { u32::MAX }>>,
}

pub(crate) type Charges = List<Charge, MAX_CHARGES>;

/// What `calibrateRateCard` returns.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Calibration {
    /// The base card with the learned rates; its version is the base's plus `+calibrated`.
    pub rate_card: RateCard,
    /// Only the rates that changed, and the version: a `rateCard` option.
    pub overrides: Overrides,
    pub changes: Vec<Change>,
    pub unexplained: Vec<Unexplained>,
}

/// A rate that differs from the base card's.
#[derive(Debug, PartialEq, Serialize)]
pub(crate) struct Change {
    /// Its path in the card: `imageModels.flux2-flex.perImage`.
    pub rate: String,
    pub was: u32,
    pub now: u32,
    /// How many charges that use it the returned card explains.
    pub charges: usize,
}

/// A charge the returned card does not price exactly.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Unexplained {
    pub index: usize,
    pub credits_used: u32,
    pub estimated: u64,
}

/// The changed rates as `RateCardOverrides`: objects nested by each rate's keys in the card
/// (`{ imageModels: { "flux2-flex": { perImage: 6 } } }`), after the version.
#[derive(Debug, Default)]
pub(crate) struct Overrides(Vec<(Cow<'static, str>, Override)>);

#[derive(Debug)]
enum Override {
    Version(String),
    Credits(u32),
    Part(Overrides),
}

impl Overrides {
    fn insert(&mut self, keys: &[Cow<'static, str>], credits: u32) {
        let Some((key, rest)) = keys.split_first() else { return };
        let place = self.0.iter().position(|(known, _)| known == key).unwrap_or_else(|| {
            self.0.push((key.clone(), Override::Part(Overrides::default())));
            self.0.len() - 1
        });
        match &mut self.0[place].1 {
            Override::Part(part) if !rest.is_empty() => part.insert(rest, credits),
            value => *value = Override::Credits(credits),
        }
    }
}

impl Serialize for Overrides {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}

impl Serialize for Override {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Version(version) => serializer.serialize_str(version),
            Self::Credits(credits) => serializer.serialize_u32(*credits),
            Self::Part(part) => part.serialize(serializer),
        }
    }
}

/// The card that explains `charges` best, starting from `base`.
pub(crate) fn calibrate(charges: &[Charge], base: &RateCard) -> Result<Calibration, PowerPostError> {
    let mut rows = Vec::with_capacity(charges.len());
    let mut amounts = Vec::with_capacity(charges.len());
    for (index, charge) in charges.iter().enumerate() {
        amounts.push(Whole::required(charge.credits_used, || CHARGES.index(index).key("creditsUsed"))?);
        check_one_action(&charge.plan, index)?;
        let mut terms = Vec::new();
        estimate_terms(&charge.plan, base, &mut terms).map_err(|error| in_charge(error, index))?;
        rows.push(terms);
    }
    let learned = solve(&rows, &amounts, base);

    let mut card = base.clone();
    card.version = Cow::Owned(format!("{}+calibrated", base.version));
    for &(rate, credits) in &learned {
        card.set_rate(rate, credits);
    }
    let mut unexplained = Vec::new();
    let mut explained = vec![false; rows.len()];
    for (index, (terms, &credits_used)) in rows.iter().zip(&amounts).enumerate() {
        let estimated = credits_of(terms, &card);
        if estimated == u64::from(credits_used) {
            explained[index] = true;
        } else {
            unexplained.push(Unexplained { index, credits_used, estimated });
        }
    }
    let mut changes = Vec::new();
    let mut overrides = Overrides(vec![(Cow::Borrowed("version"), Override::Version(card.version.to_string()))]);
    for (rate, credits) in learned {
        let uses = rows.iter().zip(&explained).filter(|(terms, explained)| **explained && uses(terms, rate)).count();
        let keys = base.rate_keys(rate);
        overrides.insert(&keys, credits);
        changes.push(Change { rate: keys.join("."), was: base.rate(rate).unwrap_or(0), now: credits, charges: uses });
    }
    Ok(Calibration { rate_card: card, overrides, changes, unexplained })
}

fn uses(terms: &[Term], rate: Rate) -> bool {
    terms.iter().any(|(used, _)| *used == rate)
}

/// A charge's plan must hold one action: a caption, one `images` entry, one `videos` entry or
/// a publish.
fn check_one_action(plan: &PostPlan, index: usize) -> Result<(), PowerPostError> {
    let images = plan.images.as_ref().map_or(0, |List(list)| list.len());
    let videos = plan.videos.as_ref().map_or(0, |List(list)| list.len());
    let parts = [plan.caption.is_some(), images > 0, videos > 0, plan.publish.is_some()];
    let at = || CHARGES.index(index).key("plan");
    match (parts.iter().filter(|part| **part).count(), images, videos) {
        (1, 0 | 1, 0 | 1) => Ok(()),
        (1, _, 0) => Err(at().key("images").invalid("must have one entry: a charge is one action")),
        (1, 0, _) => Err(at().key("videos").invalid("must have one entry: a charge is one action")),
        _ => Err(at().invalid("must hold one action: a caption, one images entry, one videos entry or a publish")),
    }
}

/// A plan's error as one of the charge's: `images[0].model` is `charges[3].plan.images[0].model`.
#[cold]
fn in_charge(error: PowerPostError, index: usize) -> PowerPostError {
    let field = error.field.unwrap_or_default();
    let expectation = error.message.strip_prefix(field.as_str()).unwrap_or(&error.message).trim_start();
    CHARGES.index(index).key("plan").key(&field).invalid(expectation)
}

/// Charges with the same terms, and what they were charged.
struct Group<'a> {
    terms: &'a [Term],
    /// Each amount charged, with how many charges it was.
    amounts: Vec<(u64, usize)>,
}

impl Group<'_> {
    /// The amount most of the group's charges were, and how many.
    fn agreed(&self, base: &RateCard) -> (u64, usize) {
        let estimated = credits_of(self.terms, base);
        let mut best = self.amounts[0];
        for &(amount, count) in &self.amounts[1..] {
            let better =
                count > best.1 || (count == best.1 && best.0 != estimated && (amount == estimated || amount > best.0));
            if better {
                best = (amount, count);
            }
        }
        best
    }
}

/// The learned rates that differ from `base`'s, in the card's order.
fn solve(rows: &[Vec<Term>], amounts: &[u32], base: &RateCard) -> Vec<(Rate, u32)> {
    let mut groups: Vec<Group> = Vec::new();
    for (terms, &amount) in rows.iter().zip(amounts) {
        // Most apps' charges come in few shapes: the newest groups are searched first.
        let place = match groups.iter().rposition(|group| group.terms == terms.as_slice()) {
            Some(place) => place,
            None => {
                groups.push(Group { terms, amounts: Vec::new() });
                groups.len() - 1
            }
        };
        let amounts = &mut groups[place].amounts;
        match amounts.iter_mut().find(|(known, _)| *known == u64::from(amount)) {
            Some((_, count)) => *count += 1,
            None => amounts.push((amount.into(), 1)),
        }
    }
    // By how many charges each explains, then by its first charge: groups come in that order,
    // so each is placed after those that explain as many (a search, not a sort: few groups).
    let mut agreed: Vec<(&Group, u64, usize)> = Vec::with_capacity(groups.len());
    for group in groups.iter().filter(|group| !group.terms.is_empty()) {
        let (amount, count) = group.agreed(base);
        let place = agreed.partition_point(|(_, _, explained)| *explained >= count);
        agreed.insert(place, (group, amount, count));
    }

    // One system per action: its rates, in order, and the equations kept.
    let mut systems: Vec<System> = Vec::new();
    for (group, amount, _) in agreed {
        let action = group.terms[0].0.order();
        let system = match systems.iter().position(|system| system.action == (action.0, action.1)) {
            Some(place) => &mut systems[place],
            None => {
                systems.push(System { action: (action.0, action.1), rates: Vec::new(), rows: Vec::new() });
                systems.last_mut().unwrap()
            }
        };
        system.add(group.terms, amount);
    }
    // In the card's order: each placed by a search, as few rates change.
    let mut learned: Vec<(Rate, u32)> = Vec::new();
    for (rate, credits) in systems.iter().flat_map(|system| system.solve(base)) {
        let place = learned.partition_point(|(known, _)| known.order() < rate.order());
        learned.insert(place, (rate, credits));
    }
    learned
}

/// The equations of one action: `sum(coefficient * rate) = amount`, kept in reduced row
/// echelon form over whole numbers.
struct System {
    action: (u8, usize),
    rates: Vec<Rate>,
    rows: Vec<Equation>,
}

/// The most rates one action uses: publishing's base and a surcharge for each platform.
const ACTION_RATES: usize = 1 + Platform::ALL.len();

#[derive(Clone, Copy)]
struct Equation {
    /// By rate, in `System::rates`' order of first use.
    coefficients: [i64; ACTION_RATES],
    amount: i64,
    pivot: usize,
}

impl System {
    /// Keeps `amount = terms` if it agrees with the equations kept so far.
    fn add(&mut self, terms: &[Term], amount: u64) {
        let mut coefficients = [0; ACTION_RATES];
        for (rate, count) in terms {
            let place = match self.rates.iter().position(|known| known == rate) {
                Some(place) => place,
                None if self.rates.len() < ACTION_RATES => {
                    self.rates.push(*rate);
                    self.rates.len() - 1
                }
                None => return, // No action uses more rates.
            };
            coefficients[place] += *count as i64; // A count of a plan: at most 3,600.
        }
        let mut new = Equation { coefficients, amount: amount as i64, pivot: 0 }; // At most u32::MAX.
        for row in &self.rows {
            let Some(reduced) = new.eliminate(row) else { return };
            new = reduced;
        }
        // The action's own rate first: what an action adds keeps the base card's value.
        let order = |place: usize| self.rates[place].order();
        let Some(pivot) =
            (0..self.rates.len()).filter(|&place| new.coefficients[place] != 0).min_by_key(|&place| order(place))
        else {
            return; // Agrees with, or contradicts, what is kept: either way nothing to add.
        };
        new.pivot = pivot;
        let mut rows = Vec::with_capacity(self.rows.len() + 1);
        for row in &self.rows {
            match row.eliminate(&new) {
                Some(row) => rows.push(row),
                None => return,
            }
        }
        rows.push(new);
        self.rows = rows;
    }

    /// The rates the kept equations fix, where they differ from `base`'s: each row gives its
    /// pivot from the rates no row fixes, which keep the base card's values.
    fn solve(&self, base: &RateCard) -> Vec<(Rate, u32)> {
        let base_value = |place: usize| i64::from(base.rate(self.rates[place]).unwrap_or(0));
        let mut learned = Vec::new();
        for row in &self.rows {
            let mut rest = Some(row.amount);
            for (place, coefficient) in row.coefficients.iter().enumerate() {
                if place != row.pivot && *coefficient != 0 {
                    rest = rest.and_then(|rest| rest.checked_sub(coefficient.checked_mul(base_value(place))?));
                }
            }
            let divisor = row.coefficients[row.pivot];
            let whole = rest.filter(|rest| rest.checked_rem(divisor) == Some(0));
            let Some(credits) = whole.and_then(|rest| rest.checked_div(divisor)) else { continue };
            let rate = self.rates[row.pivot];
            if (0..=i64::from(MAX_RATE)).contains(&credits) && credits != base_value(row.pivot) {
                learned.push((rate, credits as u32));
            }
        }
        learned
    }
}

impl Equation {
    /// This equation with `row`'s pivot eliminated, in lowest terms; `None` on overflow.
    fn eliminate(&self, row: &Equation) -> Option<Equation> {
        let factor = self.coefficients[row.pivot];
        if factor == 0 {
            return Some(*self);
        }
        let keep = row.coefficients[row.pivot];
        let mut coefficients = [0; ACTION_RATES];
        for (new, (mine, theirs)) in coefficients.iter_mut().zip(self.coefficients.iter().zip(&row.coefficients)) {
            *new = mine.checked_mul(keep)?.checked_sub(theirs.checked_mul(factor)?)?;
        }
        let amount = self.amount.checked_mul(keep)?.checked_sub(row.amount.checked_mul(factor)?)?;
        Some(Equation { coefficients, amount, pivot: self.pivot }.in_lowest_terms())
    }

    fn in_lowest_terms(mut self) -> Self {
        let divisor = self.coefficients.iter().fold(self.amount.unsigned_abs(), |d, c| gcd(d, c.unsigned_abs()));
        if let Ok(divisor @ 2..) = i64::try_from(divisor) {
            self.coefficients.iter_mut().for_each(|c| *c /= divisor);
            self.amount /= divisor;
        }
        self
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::input::from_json;
    use crate::pricing::estimate::estimate_cost;
    use crate::pricing::plan::PLAN;
    use crate::pricing::vocabulary::PostType;
    use proptest::prelude::*;
    use serde_json::{json, Value as J};

    fn calibrated(charges: J) -> Result<Calibration, PowerPostError> {
        let Charges { 0: charges } = from_json(charges, &CHARGES)?;
        calibrate(&charges, &RateCard::DEFAULT)
    }

    fn charge(plan: J, credits_used: u64) -> J {
        json!({"plan": plan, "creditsUsed": credits_used})
    }

    /// What `card` prices `plan` at.
    fn priced(plan: &J, card: &RateCard) -> u64 {
        estimate_cost(&from_json::<PostPlan>(plan.clone(), &PLAN).unwrap(), card).unwrap().total
    }

    fn changes(calibration: &Calibration) -> Vec<(&str, u32, u32, usize)> {
        calibration.changes.iter().map(|c| (c.rate.as_str(), c.was, c.now, c.charges)).collect()
    }

    #[test]
    fn a_rate_moves_to_what_most_charges_say_and_the_others_are_unexplained() {
        let flux = |quantity: u32| json!({"images": [{"quantity": quantity}]});
        let calibration = calibrated(json!([
            charge(flux(1), 6),
            charge(flux(2), 12),
            charge(flux(2), 7), // a partial refund
            charge(flux(4), 24),
            charge(json!({"caption": {"researchMode": "regular"}}), 6),
        ]))
        .unwrap();
        assert_eq!(changes(&calibration), [("imageModels.flux2-flex.perImage", 5, 6, 3)]);
        assert_eq!(calibration.unexplained, [Unexplained { index: 2, credits_used: 7, estimated: 12 }]);
        assert_eq!(calibration.rate_card.version, "2026-12-published+calibrated");
        assert_eq!(calibration.rate_card.rate(Rate::ImagePerImage(0)), Some(6));
        assert_eq!(
            serde_json::to_value(&calibration.overrides).unwrap(),
            json!({"version": "2026-12-published+calibrated", "imageModels": {"flux2-flex": {"perImage": 6}}})
        );
    }

    #[test]
    fn overrides_hold_every_changed_rate_and_nothing_else() {
        let calibration = calibrated(json!([
            charge(json!({"caption": {"researchMode": "deep"}}), 9),
            charge(json!({"caption": {"researchMode": "regular", "sourceUrls": 2}}), 10),
            charge(json!({"caption": {"researchMode": "regular"}}), 6),
            charge(json!({"caption": {"researchMode": "regular", "videoInputSeconds": 61}}), 20),
            charge(json!({"videos": [{"model": "veo-3.1", "durationSeconds": 4}]}), 40),
            charge(json!({"videos": [{"model": "veo-3.1", "durationSeconds": 4, "audio": true}]}), 48),
            charge(json!({"publish": {"postTypes": ["tiktok-video"]}}), 2),
            charge(json!({"publish": {"postTypes": ["linkedin-post"]}}), 1),
            charge(json!({"publish": {"postTypes": ["x-post", "linkedin-post"]}}), 5),
        ]))
        .unwrap();
        assert!(calibration.unexplained.is_empty(), "{:?}", calibration.unexplained);
        assert_eq!(
            changes(&calibration),
            [
                ("caption.deep", 8, 9, 1),
                ("caption.videoInput.perUnit", 6, 7, 1),
                ("caption.perSourceUrl", 1, 2, 1),
                ("videoModels.veo-3.1.perSecond", 8, 10, 2),
                ("publish.surcharges.tiktok", 0, 1, 1),
                ("publish.surcharges.x", 3, 4, 1),
            ]
        );
        assert_eq!(
            serde_json::to_value(&calibration.overrides).unwrap(),
            json!({
                "version": "2026-12-published+calibrated",
                "caption": {"deep": 9, "perSourceUrl": 2, "videoInput": {"perUnit": 7}},
                "videoModels": {"veo-3.1": {"perSecond": 10}},
                "publish": {"surcharges": {"x": 4, "tiktok": 1}},
            })
        );
        // The overrides, given back as a rate card, price every charge as it was charged.
        let overrides = from_json(serde_json::to_value(&calibration.overrides).unwrap(), &Path::argument("rateCard"));
        let card = RateCard::DEFAULT.with_overrides(&overrides.unwrap(), &Path::argument("rateCard")).unwrap();
        assert_eq!(card, calibration.rate_card);
    }

    #[test]
    fn where_charges_fix_only_a_sum_the_rates_an_action_adds_keep_the_base_card_s() {
        let one_image = json!({"caption": {"researchMode": "regular", "imageInputs": 1}});
        let calibration = calibrated(json!([charge(one_image.clone(), 9), charge(one_image, 9)])).unwrap();
        assert_eq!(changes(&calibration), [("caption.regular", 6, 8, 2)], "per image analysed keeps 1");
        let x_only = json!({"publish": {"postTypes": ["x-post"]}});
        let calibration = calibrated(json!([charge(x_only, 6)])).unwrap();
        assert_eq!(changes(&calibration), [("publish.base", 1, 3, 1)], "the X surcharge keeps 3");
    }

    #[test]
    fn contradicting_charges_move_nothing_they_do_not_agree_on() {
        // Two of deep alone say 10, one says 9; two of those that add two images say 12, one 20.
        let deep = json!({"caption": {"researchMode": "deep"}});
        let with_images = json!({"caption": {"researchMode": "deep", "imageInputs": 2}});
        let calibration = calibrated(json!([
            charge(deep.clone(), 10),
            charge(deep.clone(), 9),
            charge(deep, 10),
            charge(with_images.clone(), 12),
            charge(with_images.clone(), 20),
            charge(with_images, 12),
        ]))
        .unwrap();
        assert_eq!(changes(&calibration), [("caption.deep", 8, 10, 4)], "per image analysed: still 1");
        let unexplained: Vec<usize> = calibration.unexplained.iter().map(|u| u.index).collect();
        assert_eq!(unexplained, [1, 4]);
        // Regular alone says 7 three times, with one image 9 twice (so 2 an image); with two
        // images 20 once contradicts both, and is unexplained, whatever the base card says.
        let regular = |images: u32| json!({"caption": {"researchMode": "regular", "imageInputs": images}});
        let calibration = calibrated(json!([
            charge(regular(2), 20),
            charge(regular(0), 7),
            charge(regular(1), 9),
            charge(regular(0), 7),
            charge(regular(1), 9),
            charge(regular(0), 7),
        ]))
        .unwrap();
        assert_eq!(changes(&calibration), [("caption.regular", 6, 7, 5), ("caption.perImageInput", 1, 2, 2)]);
        assert_eq!(calibration.unexplained, [Unexplained { index: 0, credits_used: 20, estimated: 11 }]);
        // A rate that would be fractional keeps the base card's value.
        let calibration = calibrated(json!([charge(json!({"images": [{"quantity": 2}]}), 9)])).unwrap();
        assert!(calibration.changes.is_empty());
        assert_eq!(calibration.unexplained, [Unexplained { index: 0, credits_used: 9, estimated: 10 }]);
        // A tie keeps what the base card estimates; else the larger amount, as refunds lower one.
        let flux = json!({"images": [{}]});
        let tie = calibrated(json!([charge(flux.clone(), 3), charge(flux.clone(), 5)])).unwrap();
        assert!(tie.changes.is_empty());
        let tie = calibrated(json!([charge(flux.clone(), 3), charge(flux, 7)])).unwrap();
        assert_eq!(changes(&tie), [("imageModels.flux2-flex.perImage", 5, 7, 1)]);
    }

    #[test]
    fn a_base_card_with_overrides_is_calibrated_from() {
        let at = Path::fields_of("options");
        let overrides = from_json(json!({"version": "acme-1", "imageModels": {"flux2-flex": {"perImage": 9}}}), &at);
        let base = RateCard::DEFAULT.with_overrides(&overrides.unwrap(), &at).unwrap();
        let Charges { 0: charges } =
            from_json(json!([charge(json!({"images": [{}]}), 9), charge(json!({"images": [{}]}), 9)]), &CHARGES)
                .unwrap();
        let calibration = calibrate(&charges, &base).unwrap();
        assert!(calibration.changes.is_empty());
        assert_eq!(calibration.rate_card.version, "acme-1+calibrated");
    }

    #[test]
    fn no_charges_change_nothing() {
        let calibration = calibrated(json!([])).unwrap();
        assert!(calibration.changes.is_empty() && calibration.unexplained.is_empty());
        assert_eq!(calibration.rate_card.rates(), RateCard::DEFAULT.rates());
        assert_eq!(
            serde_json::to_value(&calibration.overrides).unwrap(),
            json!({"version": "2026-12-published+calibrated"})
        );
    }

    #[test]
    fn bad_charges_name_their_field() {
        let image = json!({"images": [{}]});
        let cases = [
            (json!({}), "charges"),
            (json!([5]), "charges[0]"),
            (json!([{"plan": image}]), "charges[0].creditsUsed"),
            (json!([{"creditsUsed": 1}]), "charges[0].plan"),
            (json!([charge(image.clone(), 1), {"plan": image, "creditsUsed": -1}]), "charges[1].creditsUsed"),
            (json!([{"plan": image, "creditsUsed": 1.5}]), "charges[0].creditsUsed"),
            (json!([{"plan": image, "creditsUsed": "3"}]), "charges[0].creditsUsed"),
            (json!([{"plan": image, "creditsUsed": 1, "cost": 1}]), "charges[0].cost"),
            (json!([charge(json!({}), 1)]), "charges[0].plan"),
            (json!([charge(json!({"images": []}), 1)]), "charges[0].plan"),
            (json!([charge(json!({"images": [{}], "caption": {"researchMode": "deep"}}), 1)]), "charges[0].plan"),
            (json!([charge(json!({"images": [{}, {}]}), 1)]), "charges[0].plan.images"),
            (
                json!([charge(json!({"videos": [{"durationSeconds": 5}, {"durationSeconds": 5}]}), 1)]),
                "charges[0].plan.videos",
            ),
            (json!([charge(json!({"images": [{"model": "dall-e"}]}), 1)]), "charges[0].plan.images[0].model"),
            (json!([charge(json!({"images": [{"quantity": 9}]}), 1)]), "charges[0].plan.images[0].quantity"),
            (json!([charge(json!({"publish": {"postTypes": []}}), 1)]), "charges[0].plan.publish.postTypes"),
        ];
        for (charges, field) in cases {
            let error = calibrated(charges.clone()).expect_err(&charges.to_string());
            assert_eq!(error.field.as_deref(), Some(field), "{charges}: {}", error.message);
            assert!(error.message.starts_with(field), "{}", error.message);
        }
        let message = |charges: J| calibrated(charges).unwrap_err().message;
        assert_eq!(
            message(json!([charge(json!({"images": [{"model": "dall-e"}]}), 1)])),
            format!(
                "charges[0].plan.images[0].model is not a known image model; expected one of {}",
                RateCard::DEFAULT.image_models.names().collect::<Vec<_>>().join(", ")
            )
        );
        assert_eq!(
            message(json!([charge(json!({}), 1)])),
            "charges[0].plan must hold one action: a caption, one images entry, one videos entry or a publish"
        );
        let many = J::Array(vec![charge(image.clone(), 5); MAX_CHARGES]);
        assert!(calibrated(many.clone()).is_ok());
        let mut too_many = many.as_array().unwrap().clone();
        too_many.push(charge(image, 5));
        assert_eq!(message(J::Array(too_many)), "charges must have at most 10000 entries");
    }

    /// A card of whole rates from `draw` (1 to 50 each), and one-action plans that isolate every
    /// rate of it (each the only rate that varies from a plan before it), with some mixed ones.
    fn true_card_and_plans(draw: &mut impl FnMut(u32) -> u32) -> (RateCard, Vec<J>) {
        let mut card = RateCard::DEFAULT;
        for rate in RateCard::DEFAULT.rates() {
            card.set_rate(rate, 1 + draw(50));
        }
        let regular = |extra: (&str, u32)| json!({"caption": {"researchMode": "regular", extra.0: extra.1}});
        let mut plans = vec![
            json!({"caption": {"researchMode": "regular"}}),
            json!({"caption": {"researchMode": "deep"}}),
            regular(("imageInputs", 1 + draw(10))),
            regular(("videoInputSeconds", 1 + draw(3600))),
            regular(("sourceUrls", 1 + draw(10))),
            json!({"publish": {"postTypes": ["linkedin-post"]}}),
            json!({"publish": {"postTypes": ["x-post"]}}),
        ];
        for (name, _) in card.image_models.0.iter() {
            plans.push(json!({"images": [{"model": name, "quantity": 1 + draw(4)}]}));
        }
        for (name, model) in card.video_models.0.iter() {
            let seconds = model.durations[draw(model.durations.len() as u32) as usize];
            plans.push(json!({"videos": [{"model": name, "durationSeconds": seconds}]}));
            if model.audio_per_second.is_some() {
                plans.push(json!({"videos": [{"model": name, "durationSeconds": seconds, "audio": true}]}));
            }
        }
        for _ in 0..draw(6) {
            let mode = if draw(2) == 0 { "regular" } else { "deep" };
            plans.push(json!({"caption": {"researchMode": mode, "imageInputs": draw(11), "videoInputSeconds": draw(200), "sourceUrls": draw(11)}}));
            let post_types: Vec<&str> =
                PostType::ALL.iter().filter(|_| draw(3) == 0).map(|post_type| post_type.name()).collect();
            if !post_types.is_empty() {
                plans.push(json!({"publish": {"postTypes": post_types}}));
            }
        }
        (card, plans)
    }

    /// A draw from `seed`: `draw(n)` is below `n` (xorshift).
    fn draws(mut seed: u64) -> impl FnMut(u32) -> u32 {
        seed |= 1;
        move |below| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % u64::from(below.max(1))) as u32
        }
    }

    proptest! {
        #[test]
        fn calibrating_a_card_s_own_charges_recovers_it(seed in any::<u64>()) {
            let mut draw = draws(seed);
            let (card, plans) = true_card_and_plans(&mut draw);
            let charges: Vec<J> = plans.iter().map(|plan| charge(plan.clone(), priced(plan, &card))).collect();
            let calibration = calibrated(J::Array(charges)).unwrap();
            for rate in RateCard::DEFAULT.rates() {
                prop_assert_eq!(calibration.rate_card.rate(rate), card.rate(rate), "{}", card.rate_path(rate));
            }
            prop_assert!(calibration.unexplained.is_empty());
            let differ: Vec<String> = RateCard::DEFAULT.rates().into_iter()
                .filter(|rate| card.rate(*rate) != RateCard::DEFAULT.rate(*rate))
                .map(|rate| card.rate_path(rate)).collect();
            prop_assert_eq!(calibration.changes.iter().map(|change| change.rate.clone()).collect::<Vec<_>>(), differ);
        }

        /// Three charges a plan, at most one of each three lowered (a partial refund) or changed
        /// at random: the true amount is still what most charges of the same plan were charged.
        #[test]
        fn corrupted_charges_are_unexplained_and_move_no_rate(seed in any::<u64>()) {
            let mut draw = draws(seed);
            let (card, plans) = true_card_and_plans(&mut draw);
            let (mut charges, mut corrupted) = (Vec::new(), Vec::new());
            for plan in &plans {
                let credits = priced(plan, &card);
                let spoilt = draw(4);
                for copy in 0..3 {
                    let mut charged = credits;
                    if copy == spoilt {
                        charged = if draw(2) == 0 { u64::from(draw(credits as u32)) } else { u64::from(draw(500)) };
                    }
                    if charged != credits {
                        corrupted.push(charges.len());
                    }
                    charges.push(charge(plan.clone(), charged));
                }
            }
            let calibration = calibrated(J::Array(charges)).unwrap();
            for rate in RateCard::DEFAULT.rates() {
                prop_assert_eq!(calibration.rate_card.rate(rate), card.rate(rate), "{}", card.rate_path(rate));
            }
            prop_assert_eq!(calibration.unexplained.iter().map(|u| u.index).collect::<Vec<_>>(), corrupted);
        }

        /// Amounts of any size, extremes among them: a calibration, never a panic or an overflow.
        #[test]
        fn any_amounts_give_a_calibration(seed in any::<u64>(), extremes in prop::collection::vec(prop::sample::select(vec![0u32, 1, 2, u32::MAX - 1, u32::MAX]), 1..60)) {
            let mut draw = draws(seed);
            let (_, plans) = true_card_and_plans(&mut draw);
            let charges: Vec<J> = plans.iter().cycle().zip(&extremes).enumerate()
                .map(|(n, (plan, extreme))| charge(plan.clone(), if n % 2 == 0 { u64::from(*extreme) } else { u64::from(draw(1_000_000)) }))
                .collect();
            let calibration = calibrated(J::Array(charges.clone())).unwrap();
            prop_assert!(calibration.changes.iter().all(|change| change.now <= MAX_RATE));
            prop_assert!(calibration.unexplained.len() <= charges.len());
        }

        #[test]
        fn arbitrary_charges_give_a_calibration_or_a_named_field_and_never_panic(charges in crate::properties::arbitrary_json()) {
            if let Err(error) = calibrated(charges) {
                prop_assert!(error.field.as_ref().is_some_and(|field| field.starts_with("charges")), "{}", error.message);
            }
        }

        #[test]
        fn the_built_in_card_s_own_charges_change_nothing(seed in any::<u64>()) {
            let mut draw = draws(seed);
            let (_, plans) = true_card_and_plans(&mut draw);
            let charges: Vec<J> = plans.iter().map(|plan| charge(plan.clone(), priced(plan, &RateCard::DEFAULT))).collect();
            let calibration = calibrated(J::Array(charges)).unwrap();
            prop_assert!(calibration.changes.is_empty() && calibration.unexplained.is_empty());
            prop_assert_eq!(calibration.rate_card.rates(), RateCard::DEFAULT.rates());
        }
    }

    #[test]
    fn every_platform_s_surcharge_can_be_learned() {
        for platform in Platform::ALL {
            let post_type = PostType::ALL.into_iter().find(|post_type| post_type.platform() == platform).unwrap();
            let other = if platform == Platform::Instagram { "linkedin-post" } else { "instagram-feed" };
            let calibration = calibrated(json!([
                charge(json!({"publish": {"postTypes": [other]}}), 1),
                charge(json!({"publish": {"postTypes": [other, post_type.name()]}}), 8),
            ]))
            .unwrap();
            let rate = format!("publish.surcharges.{}", platform.name());
            let learned: Vec<(&str, u32)> = calibration.changes.iter().map(|c| (c.rate.as_str(), c.now)).collect();
            assert_eq!(learned, [(rate.as_str(), 7)]);
        }
    }
}
