// The messages of the pages loaded on demand (settings, second factor,
// email) join the dictionaries when one of those pages loads, so the first
// load does not carry them.
import { MESSAGES } from '../lib/i18n.js'
import en from './settings.en.js'
import fr from './settings.fr.js'

Object.assign(MESSAGES.en, en)
Object.assign(MESSAGES.fr, fr)
