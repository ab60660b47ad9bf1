CREATE TABLE `endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`path` text NOT NULL,
	`path_key` text NOT NULL,
	`method` text NOT NULL,
	`auth_required` integer DEFAULT true NOT NULL,
	`condition` text,
	`actions` text NOT NULL,
	`response_template` text,
	`enabled` integer DEFAULT true NOT NULL,
	`cost` integer DEFAULT 1 NOT NULL,
	`timeout_ms` integer DEFAULT 30000 NOT NULL,
	`body_schema` text,
	`signature` text,
	`cors` text,
	`body_limit_bytes` integer,
	`history` text DEFAULT 'all' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `endpoints_route` ON `endpoints` (`account_id`,`method`,`path_key`);--> statement-breakpoint
CREATE TABLE `executions` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`endpoint_id` text,
	`kind` text DEFAULT 'endpoint' NOT NULL,
	`status` text NOT NULL,
	`http_status` integer,
	`error_code` text,
	`error_message` text,
	`method` text,
	`path` text,
	`client_ip` text,
	`key_prefix` text,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`steps` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `executions_endpoint_started` ON `executions` (`endpoint_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `executions_account_started` ON `executions` (`account_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `executions_started` ON `executions` (`started_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`endpoint_id` text NOT NULL,
	`caller_key` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` text NOT NULL,
	`response` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`endpoint_id`, `caller_key`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_expires` ON `idempotency_keys` (`expires_at`);