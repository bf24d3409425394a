//! The guided session replayed as the people of the real cases answer it (`data/answers.jsonl`,
//! written blind from the case texts): the real fix must come early, in fewer minutes than the
//! seed article's order, with few questions, and no question twice.

use engine::Prior;
use engine::evaluate::SEED_ORDER;
use engine::replay::{Figures, KeyGroup, Policy, Replayed, replay};
use kb::Kb;

const KEY: &str = include_str!("data/answers.jsonl");

fn replay_all(kb: &Kb, policy: &Policy) -> Vec<Replayed> {
    let keys = kb.parse_answer_keys(KEY).expect("the dev answer key");
    keys.iter()
        .map(|key| replay(kb, key, policy).expect("replays"))
        .collect()
}

fn figures(cases: &[Replayed], group: KeyGroup) -> Figures {
    Figures::of(cases.iter().filter(|r| r.group == Some(group)))
}

#[test]
fn the_session_reaches_the_real_fix_early_as_people_answer_it() {
    let kb = Kb::embedded().expect("kb");
    let session = replay_all(kb, &Policy::Session(Prior::Calibrated));
    assert_eq!(session.len(), 47, "one replay per line of the key");
    for r in &session {
        println!(
            "{:<44} {:<20} rank {:?} questions {} {:?}",
            r.id,
            r.group.map_or("not scored", KeyGroup::id),
            r.rank,
            r.questions,
            r.path.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>()
        );
    }
    let software = figures(&session, KeyGroup::Software);
    let hardware = figures(&session, KeyGroup::Hardware);
    let seed = replay_all(kb, &Policy::Fixed(SEED_ORDER.map(String::from).to_vec()));
    let scored = |cases: &[Replayed]| Figures::of(cases.iter().filter(|r| r.group.is_some()));
    let (all, seed_all) = (scored(&session), scored(&seed));
    println!(
        "software/connection {software:?}\nhardware {hardware:?}\nminutes vs the seed order {:.2}",
        all.mean_minutes / seed_all.mean_minutes
    );
    // Where the engine stands (16/24, 11/19, 0.61 of the seed order's minutes, 5.1 questions
    // a case); the targets are 80 %, 70 %, 0.60 and 6. A session that gets worse fails.
    assert!(software.share() >= 0.66, "{software:?}");
    assert!(hardware.share() >= 0.57, "{hardware:?}");
    assert!(
        all.mean_minutes <= 0.62 * seed_all.mean_minutes,
        "{all:?} {seed_all:?}"
    );
    let questions = Figures::of(&session).mean_questions;
    assert!(questions <= 5.5, "{questions} questions a case");
}
