/** The UI's entry point: defining the shell defines every element it uses. */
import './mx-app.js';
