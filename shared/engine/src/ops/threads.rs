//! What the thread operations share: membership checks, checking the threads
//! the backend returns, and joining or leaving a thread's channel.

use serde_json::Value;

use crate::engine::store_failure;
use crate::fanout::{Pushes, Undelivered};
use crate::protocol::models::{Thread, ThreadAndMessages, ThreadMessage};
use crate::tokens::ThreadClaims;
use crate::{Caller, EcbError, Engine, PushEvent, presence};

/// A message that names its thread must name the one it came with.
pub(crate) fn check_messages_belong(
    messages: &[ThreadMessage],
    thread_id: &str,
) -> Result<(), EcbError> {
    match messages
        .iter()
        .find(|m| m.thread_id().is_some_and(|named| named != thread_id))
    {
        Some(stray) => Err(EcbError::backend_invalid(format!(
            "backend message {} belongs to another thread",
            stray.message_id()
        ))),
        None => Ok(()),
    }
}

/// Who decides whether a non-member may go on when `blockNonMembers` is off
/// (PROTOCOL.md: "the request goes to the backend, which decides").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decider {
    /// The operation calls the backend, which may admit non-members.
    Backend,
    /// No backend sees the operation (typing, getPresence), so nobody else
    /// could decide: the threadToken's members always do.
    Token,
}

/// Verifies a threadToken and that the caller is among its members, unless
/// `blockNonMembers` is off and the backend decides. Runs before any
/// backend call.
pub(crate) fn authorize(
    engine: &Engine,
    caller: &Caller,
    thread_token: &str,
    decider: Decider,
) -> Result<ThreadClaims, EcbError> {
    let claims = engine.tokens.thread(thread_token)?;
    let checked = engine.config.block_non_members || decider == Decider::Token;
    if checked && !claims.member_ids.contains(&caller.user.user_id) {
        return Err(EcbError::forbidden("you are not a member of this thread"));
    }
    Ok(claims)
}

/// A thread from the backend must carry a threadToken that verifies and
/// names the same thread.
pub(crate) fn check_thread(engine: &Engine, thread: &Thread) -> Result<(), EcbError> {
    let claims = engine.tokens.thread(thread.thread_token()).map_err(|e| {
        EcbError::backend_invalid(format!("backend thread's threadToken: {}", e.message))
    })?;
    if claims.thread_id != thread.thread_id() {
        return Err(EcbError::backend_invalid(
            "backend thread's threadToken names another thread",
        ));
    }
    Ok(())
}

/// Reads and checks a threadAndMessages answer; `expected` is the thread
/// the caller asked about, when it named one.
pub(crate) fn check_thread_and_messages(
    engine: &Engine,
    answer: Value,
    expected: Option<&str>,
) -> Result<ThreadAndMessages, EcbError> {
    let found = ThreadAndMessages::from_answer(answer)
        .map_err(|e| EcbError::backend_invalid(format!("backend threadAndMessages: {e}")))?;
    check_thread(engine, &found.thread)?;
    let thread_id = found.thread.thread_id();
    if expected.is_some_and(|expected| expected != thread_id) {
        return Err(EcbError::backend_invalid(
            "backend answered about another thread",
        ));
    }
    check_messages_belong(&found.messages, thread_id)?;
    Ok(found)
}

/// Adds the caller's connection to a thread's channel; announces the user
/// to the channel if this is their first connection in it.
pub(crate) async fn join_channel(
    engine: &Engine,
    caller: &Caller,
    thread_id: &str,
) -> Result<Pushes, EcbError> {
    let Some(me) = &caller.connection else {
        return Ok(Pushes::none());
    };
    let members = engine.channel(thread_id).await?;
    if members.iter().any(|m| m.connection_id == me.connection_id) {
        return Ok(Pushes::none());
    }
    engine
        .store
        .join(thread_id, me)
        .await
        .map_err(|e| store_failure(&e))?;
    Ok(presence::pushes(thread_id, &me.user_id, true, members))
}

/// Removes the caller's connection from a channel; announces the user as
/// offline there if it was their last connection in it.
pub(crate) async fn leave_channel(
    engine: &Engine,
    caller: &Caller,
    thread_id: &str,
) -> Result<Pushes, EcbError> {
    let Some(me) = &caller.connection else {
        return Ok(Pushes::none());
    };
    let left = engine
        .store
        .leave(thread_id, &me.connection_id)
        .await
        .map_err(|e| store_failure(&e))?;
    if !left {
        return Ok(Pushes::none());
    }
    let members = engine.channel(thread_id).await?;
    Ok(presence::pushes(thread_id, &me.user_id, false, members))
}

/// Pushes stored messages to a channel, skipping the connection that sent them.
/// With `audience` (the thread's members and the author), the backend is
/// told after each fan-out whom the message did not reach.
pub(crate) async fn message_pushes(
    engine: &Engine,
    thread_id: &str,
    messages: &[ThreadMessage],
    except: Option<&str>,
    audience: Option<Audience<'_>>,
) -> Result<Pushes, EcbError> {
    if messages.is_empty() {
        return Ok(Pushes::none());
    }
    let members = engine.channel(thread_id).await?;
    Ok(messages.iter().fold(Pushes::none(), |pushes, message| {
        let undelivered = audience.as_ref().map(|audience| Undelivered {
            message_id: message.message_id().to_owned(),
            member_ids: audience.member_ids.to_vec(),
            author: audience.author.map(str::to_owned),
        });
        pushes.then(Pushes::message(
            members.clone(),
            except,
            PushEvent::Message {
                thread_id: thread_id.to_owned(),
                message: message.clone(),
            },
            undelivered,
        ))
    }))
}

/// Who a message is for: the thread's members, and its author among them.
pub(crate) struct Audience<'a> {
    pub(crate) member_ids: &'a [String],
    pub(crate) author: Option<&'a str>,
}
