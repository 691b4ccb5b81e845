// The filter editor's messages join the dictionaries when the editor
// loads, so the first load does not carry them.
import { MESSAGES } from '../lib/i18n.js'
import en from './filters.en.js'
import fr from './filters.fr.js'

Object.assign(MESSAGES.en, en)
Object.assign(MESSAGES.fr, fr)
