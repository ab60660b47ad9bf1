CREATE TABLE `collections` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`table_name` text NOT NULL,
	`fields` text NOT NULL,
	`indexes` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `collections_table_name_unique` ON `collections` (`table_name`);--> statement-breakpoint
CREATE UNIQUE INDEX `collections_account_name` ON `collections` (`account_id`,`name`);