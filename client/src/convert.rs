//! Conversions between the contracts' `sol!` types (`drawbridge_bindings`) and the protocol types
//! of `drawbridge_protocol`, in one place.
//!
//! They are functions rather than `From` impls: both sides are foreign to this crate (the orphan
//! rule), `drawbridge-protocol` must not depend on the bindings (it stays free of contract calls and
//! providers), and the bindings are generated code that knows nothing of the protocol types.

use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_protocol::{L1Message, MessageKind, ProtocolError, Withdrawal};

/// The withdrawal a `WithdrawalInitiated` event reports.
pub fn withdrawal_from_event(event: &IL2Bridge::WithdrawalInitiated) -> Withdrawal {
    Withdrawal {
        nonce: event.nonce,
        sender: event.sender,
        recipient: event.recipient,
        l1_token: event.l1Token,
        amount: event.amount,
    }
}

/// The withdrawal as `L1Bridge.finalizeWithdrawal` takes it.
pub fn withdrawal_to_l1(withdrawal: &Withdrawal) -> IL1Bridge::Withdrawal {
    IL1Bridge::Withdrawal {
        nonce: withdrawal.nonce,
        sender: withdrawal.sender,
        recipient: withdrawal.recipient,
        l1Token: withdrawal.l1_token,
        amount: withdrawal.amount,
    }
}

/// The L1 message a `MessageSent` event reports; fails on an unknown message kind.
pub fn message_from_event(event: &IL1Bridge::MessageSent) -> Result<L1Message, ProtocolError> {
    Ok(L1Message {
        kind: MessageKind::try_from(event.kind)?,
        nonce: event.nonce,
        sender: event.sender,
        recipient: event.recipient,
        token: event.token,
        amount: event.amount,
        data: event.data.clone(),
    })
}

/// The message as `L1Bridge` takes it (`refundDeposit`).
pub fn message_to_l1(message: &L1Message) -> IL1Bridge::L1Message {
    IL1Bridge::L1Message {
        kind: message.kind.as_u8(),
        nonce: message.nonce,
        sender: message.sender,
        recipient: message.recipient,
        token: message.token,
        amount: message.amount,
        data: message.data.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, B256, Bytes, U256};

    #[test]
    fn messages_and_withdrawals_survive_the_round_trip() {
        let event = IL1Bridge::MessageSent {
            nonce: 4,
            kind: 2,
            sender: Address::repeat_byte(1),
            recipient: Address::repeat_byte(2),
            token: Address::repeat_byte(3),
            amount: U256::from(5u8),
            data: Bytes::from(vec![6, 7]),
            leaf: B256::ZERO,
        };
        let message = message_from_event(&event).unwrap();
        assert_eq!(message.kind, MessageKind::ForcedWithdrawal);
        let l1 = message_to_l1(&message);
        assert_eq!(
            (l1.kind, l1.nonce, l1.data.clone()),
            (2, 4, event.data.clone())
        );
        let unknown = IL1Bridge::MessageSent { kind: 9, ..event };
        assert_eq!(
            message_from_event(&unknown),
            Err(ProtocolError::UnknownMessageKind(9))
        );

        let event = IL2Bridge::WithdrawalInitiated {
            nonce: 1,
            sender: Address::repeat_byte(1),
            recipient: Address::repeat_byte(2),
            l1Token: Address::repeat_byte(3),
            amount: U256::from(9u8),
            leaf: B256::ZERO,
        };
        let withdrawal = withdrawal_from_event(&event);
        let call = withdrawal_to_l1(&withdrawal);
        assert_eq!(
            (call.nonce, call.l1Token, call.amount),
            (1, event.l1Token, event.amount)
        );
    }
}
