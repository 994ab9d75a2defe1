import type { PlatformPreset } from './preset.js';
import { supabase } from './supabase.js';

export type { PlatformPreset } from './preset.js';

/** Every preset, by the name `"preset"` takes in rls-guard.config.json. */
export const PRESETS: Readonly<Record<string, PlatformPreset>> = { supabase };
