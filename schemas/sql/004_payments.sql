-- Read model, version 4: payments. Every order's payment as folded from its
-- payment events (order.payment_authorized / _declined / _refunded): status
-- pending | authorized | declined | refunded | not_required, the gateway's
-- payment id once authorized, and the amount. Orders written before this
-- version have had no payment event: theirs is the initial one (pending for
-- their total, not_required when the total is 0).

ALTER TABLE orders
  ADD COLUMN payment_status text NOT NULL DEFAULT 'pending',
  ADD COLUMN payment_id text,  -- null until authorized
  ADD COLUMN payment_amount_cents bigint NOT NULL DEFAULT 0;
UPDATE orders SET payment_amount_cents = total_cents,
  payment_status = CASE WHEN total_cents = 0 THEN 'not_required' ELSE 'pending' END;
